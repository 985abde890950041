package rules

import (
	"fmt"
	"net/netip"
)

// VerdictKind is what a rule does once its matches hold.
type VerdictKind uint8

// Verdict kinds. Continue means the rule only runs its statements (LOG,
// MARK, counters) and evaluation goes on with the next rule.
const (
	Continue VerdictKind = iota
	Accept
	Drop
	Reject
	Jump
	Goto
	Return
	Queue    // NFQUEUE/QUEUE: userspace decides
	DNAT     // DNAT: the destination changes, evaluation continues after the nat chain
	Redirect // REDIRECT: DNAT to the incoming interface's address
	Tproxy   // TPROXY: diverts to a local socket by policy routing
	// UnknownTarget is a target perimeter does not understand and that is
	// not known to leave the verdict alone (rules.NonTerminating): it may
	// end the packet's walk, so the evaluator cannot decide past it.
	UnknownTarget
)

var verdictNames = [...]string{"continue", "accept", "drop", "reject", "jump", "goto", "return", "queue", "dnat", "redirect", "tproxy", "unknown-target"}

func (k VerdictKind) String() string {
	if int(k) < len(verdictNames) {
		return verdictNames[k]
	}
	return fmt.Sprintf("verdict(%d)", k)
}

// Verdict is a rule's (or a chain policy's) decision.
type Verdict struct {
	Kind       VerdictKind
	Chain      string // Jump, Goto
	RejectWith string // Reject: "icmp-port-unreachable", "tcp-reset", ...
	NAT        *NAT   // DNAT, Redirect, Tproxy
	Queue      string // Queue: "num 1 bypass"
	Target     string // UnknownTarget: its name as the rule wrote it ("FOO")
}

// NAT is a destination rewrite. A zero Addr keeps the address (or, for
// Redirect, means the incoming interface's primary address); a zero Port
// keeps the port.
type NAT struct {
	Addr, AddrHi netip.Addr
	Port, PortHi uint16
}

// String is the verdict in perimeter's words: accept, drop, reject:<type>.
func (v Verdict) String() string {
	switch v.Kind {
	case Reject:
		return "reject:" + v.RejectWith
	case Jump, Goto:
		return v.Kind.String() + " " + v.Chain
	case UnknownTarget:
		return "unknown target " + v.Target
	}
	return v.Kind.String()
}

// MarshalText spells the verdict in JSON as String does.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Terminal reports whether the verdict ends the packet's walk through the
// current base chain (accept) or through everything (drop, reject, queue,
// an unknown target taken as ending it).
func (k VerdictKind) Terminal() bool {
	return k == Accept || k == Drop || k == Reject || k == Queue || k == UnknownTarget
}

// Default reject types the kernel uses when REJECT names none.
const (
	RejectPortUnreach  = "icmp-port-unreachable"
	RejectPortUnreach6 = "icmp6-port-unreachable"
	RejectTCPReset     = "tcp-reset"
	RejectAdminProhib  = "icmp-admin-prohibited"
	RejectAdminProhib6 = "icmp6-adm-prohibited"
	RejectHostProhib   = "icmp-host-prohibited"
	RejectNetProhib    = "icmp-net-prohibited"
	RejectHostUnreach  = "icmp-host-unreachable"
	RejectNetUnreach   = "icmp-net-unreachable"
	RejectProtoUnreach = "icmp-proto-unreachable"
	RejectNoRoute6     = "icmp6-no-route"
	RejectAddrUnreach6 = "icmp6-addr-unreachable"
	RejectPolicyFail6  = "icmp6-policy-fail"
	RejectRejectRoute6 = "icmp6-reject-route"
)
