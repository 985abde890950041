package probe

import (
	"fmt"
	"net/netip"
	"time"
)

// State is a port state as a prober from outside sees it (DESIGN.md).
type State string

// The port states.
const (
	Open     State = "open"
	Closed   State = "closed"
	Rejected State = "rejected"
	Stealth  State = "stealth"
	Unknown  State = "unknown"
)

// States lists the states in the order reports show them.
var States = []State{Open, Closed, Rejected, Stealth, Unknown}

// Reasons. A rejection's reason names the ICMP or ICMPv6 unreachable code
// the way nft spells it ("admin-prohibited", "host-unreachable",
// "no-route", ...); codes without a name read "icmp-<type>-<code>" or
// "icmpv6-<type>-<code>".
const (
	ReasonSynAck          = "syn-ack"          // TCP handshake answered
	ReasonReset           = "reset"            // TCP RST: no listener, or reject with tcp reset
	ReasonReply           = "reply"            // a UDP datagram came back
	ReasonPortUnreachable = "port-unreachable" // ICMP(v6) port unreachable
	ReasonNoResponse      = "no-response"      // nothing, after retries
	ReasonNoNeighbor      = "no-neighbor"      // the target never answered ARP or neighbour discovery
	ReasonRateLimited     = "rate-limited"     // silent while the target's ICMP rate limit was hit
	ReasonLocalError      = "local-error"      // the prober could not send; see Error
	ReasonInterrupted     = "interrupted"      // the run was stopped before the port was decided
)

// DoubtOpenFiltered qualifies a silent UDP port: a service may ignore a
// datagram it does not understand, so silence is open or filtered.
const DoubtOpenFiltered = "open|filtered"

// Result is what the prober saw for one port.
type Result struct {
	Proto  string `json:"protocol"` // "tcp" or "udp"
	Port   uint16 `json:"port"`
	State  State  `json:"state"`
	Reason string `json:"reason"`
	// Doubt says what else the state may be ("open|filtered").
	Doubt string `json:"doubt,omitempty"`
	// From is who answered: the target, or the sender of an ICMP error
	// (a router, or the prober itself for no-neighbor).
	From netip.Addr `json:"from,omitzero"`
	// TTL is the reply's IPv4 TTL or IPv6 hop limit; 0 when unknown (a
	// connect-mode TCP reply, silence).
	TTL uint8 `json:"ttl,omitempty"`
	// RTT runs from the last probe sent to the answer.
	RTT time.Duration `json:"rtt_ns,omitempty"`
	// Tries counts the probes sent to this port.
	Tries int `json:"tries"`
	// Error explains an unknown state.
	Error string `json:"error,omitempty"`
}

func (r Result) String() string {
	s := fmt.Sprintf("%s/%d %s (%s)", r.Proto, r.Port, r.State, r.Reason)
	if r.Doubt != "" {
		s += " " + r.Doubt
	}
	if r.Error != "" {
		s += ": " + r.Error
	}
	return s
}

// icmp: the answer was an ICMP error (a TCP RST and a reply are not).
func (r Result) icmp() bool {
	return r.State == Rejected || (r.State == Closed && r.Reason != ReasonReset)
}
