package rules

import (
	"net/netip"
	"slices"
	"strings"
)

// Result is everything a packet can meet: one Outcome when the rules decide
// it, several when undecidable matches lie on its path.
type Result struct {
	Outcomes []Outcome
	// Undecided names (by their text) the matches that decide between the
	// outcomes; empty when every outcome has the same verdict.
	Undecided []string
	// Truncated is set when there were more undecided combinations than
	// the evaluator follows; Outcomes then holds only those it followed.
	Truncated bool
}

// Outcome is one way through the rules, under the Assumed values of the
// undecidable matches on the way.
type Outcome struct {
	Verdict Verdict // Accept, Drop, Reject or Queue
	Decider Origin  // the rule, or chain policy, that decided
	Logs    []LogEvent
	Path    []Step
	Assumed []Assumption
	// Dst and Dport are the destination after NAT; Forwarded is set when
	// the packet left prerouting for the forward hook.
	Dst       netip.Addr
	Dport     uint16
	NATed     bool
	Forwarded bool
	OutIface  string // where a forwarded packet leaves; "" when unknown
	// Answer is the fate of a listening service's reply (SYN-ACK, UDP
	// datagram) to an accepted packet; Refusal that of the host's "nobody
	// here" (RST, ICMP port unreachable) or of a REJECT's response. Nil
	// where the host sends no such reply.
	Answer, Refusal *Reply
	// Neighbor is the fate of IPv6 neighbour discovery towards the host,
	// without which no IPv6 packet reaches it; nil for IPv4.
	Neighbor *Reply
}

// LogEvent is a log statement that fired on the way.
type LogEvent struct {
	Log
	Origin Origin `json:"rule"`
}

// Step is one rule that matched, or one policy applied, on the way.
type Step struct {
	Hook   Hook   `json:"hook"`
	Origin Origin `json:"rule"`
	Action string `json:"action"`
}

// Assumption is the value an undecidable match was given.
type Assumption struct {
	Match string `json:"match"`
	Holds bool   `json:"holds"`
}

// Certain reports whether every outcome has the same verdict.
func (r Result) Certain() bool {
	if r.Truncated {
		return false
	}
	for _, o := range r.Outcomes[1:] {
		if o.Verdict.String() != r.Outcomes[0].Verdict.String() {
			return false
		}
	}
	return true
}

// Verdicts lists the distinct verdicts of the outcomes, in their order.
func (r Result) Verdicts() []string {
	var out []string
	for _, o := range r.Outcomes {
		if v := o.Verdict.String(); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Logged reports whether a log statement fired in the first outcome (the
// one where every undecided match holds).
func (r Result) Logged() bool {
	return len(r.Outcomes) > 0 && len(r.Outcomes[0].Logs) > 0
}

// signature identifies what a port range shares with its neighbours, so
// adjacent classes that agree merge into one range.
func (r Result) signature() string {
	var b strings.Builder
	for _, o := range r.Outcomes {
		b.WriteString(o.Verdict.String())
		b.WriteString("|")
		b.WriteString(o.Decider.String())
		for _, l := range o.Logs {
			b.WriteString("|log " + l.Origin.String())
		}
		for _, r := range []*Reply{o.Answer, o.Refusal, o.Neighbor} {
			if r != nil && !r.Passes() {
				b.WriteString("|reply " + r.Verdict.String() + " " + r.Decider.String())
			}
		}
		if o.NATed {
			b.WriteString("|nat " + netip.AddrPortFrom(o.Dst, o.Dport).String())
		}
		b.WriteString(";")
	}
	b.WriteString(strings.Join(r.Undecided, ","))
	return b.String()
}
