package report

import "github.com/perimeter-dev/perimeter/rules"

// Port states, as a prober from outside sees them (DESIGN.md).
const (
	StateOpen     = "open"
	StateClosed   = "closed"
	StateRejected = "rejected"
	StateStealth  = "stealth"
	StateUnknown  = "unknown"
)

// Expected is the state the default probe should see on port, which the
// rules treat as res; listening says whether something listens on a port
// (after NAT, the port the packet was redirected to). certain is false
// when unknowns tell the default probe's outcomes apart or a reply's fate
// is undecided. For a packet forwarded to another host, listening speaks
// of that host. The neighbour is assumed reachable (see
// rules.NeighborDiscovery).
func Expected(res rules.Result, proto uint8, port uint16, listening func(port uint16) bool) (state string, certain bool) {
	if len(res.Outcomes) == 0 || !res.Decided() {
		return StateUnknown, false
	}
	state, certain = ExpectedOutcome(res.Outcomes[0], proto, port, listening)
	for _, o := range res.Outcomes[1:] {
		if !o.IsDefault() {
			continue
		}
		if s, c := ExpectedOutcome(o, proto, port, listening); s != state || !c {
			return StateUnknown, false
		}
	}
	return state, certain
}

// ExpectedOutcome is the state a prober should see when the rules treat
// its packet as o.
func ExpectedOutcome(o rules.Outcome, proto uint8, port uint16, listening func(uint16) bool) (string, bool) {
	switch o.Verdict.Kind {
	case rules.Drop:
		return StateStealth, true
	case rules.Accept:
		if o.NATed {
			port = o.Dport
		}
		if listening(port) {
			return throughReply(o.Answer, StateOpen)
		}
		return throughReply(o.Refusal, StateClosed)
	case rules.Reject:
		return throughReply(o.Refusal, rejectState(o.Verdict.RejectWith, proto))
	}
	return StateUnknown, false
}

// rejectState: a RST reads as closed, and so does port unreachable for
// UDP, which is how a closed UDP port answers anyway; every other ICMP
// answer, and port unreachable to TCP (which no TCP stack sends), reads as
// rejected.
func rejectState(with string, proto uint8) string {
	switch {
	case with == rules.RejectTCPReset:
		return StateClosed
	case proto != rules.ProtoTCP && (with == rules.RejectPortUnreach || with == rules.RejectPortUnreach6):
		return StateClosed
	}
	return StateRejected
}

// throughReply is state if the reply surely leaves, stealth if it surely
// does not.
func throughReply(r *rules.Reply, state string) (string, bool) {
	switch {
	case r == nil || r.Passes():
		return state, true
	case r.Certain:
		return StateStealth, true
	}
	return StateUnknown, false
}
