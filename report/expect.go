package report

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

// Expected is the state the default probe should see on port, which the
// rules treat as res; listening says whether something listens on a port
// (after NAT, the port the packet was redirected to). certain is false
// when unknowns tell the default probe's outcomes apart or a reply's fate
// is undecided. For a packet forwarded to another host, listening speaks
// of that host. The neighbour is assumed reachable (see
// rules.NeighborDiscovery).
func Expected(res rules.Result, proto uint8, port uint16, listening func(port uint16) bool) (state probe.State, certain bool) {
	if len(res.Outcomes) == 0 || !res.Decided() {
		return probe.Unknown, false
	}
	state, certain = ExpectedOutcome(res.Outcomes[0], proto, port, listening)
	for _, o := range res.Outcomes[1:] {
		if !o.IsDefault() {
			continue
		}
		if s, c := ExpectedOutcome(o, proto, port, listening); s != state || !c {
			return probe.Unknown, false
		}
	}
	return state, certain
}

// ExpectedOutcome is the state a prober should see when the rules treat
// its packet as o.
func ExpectedOutcome(o rules.Outcome, proto uint8, port uint16, listening func(uint16) bool) (probe.State, bool) {
	switch o.Verdict.Kind {
	case rules.Drop:
		return probe.Stealth, true
	case rules.Accept:
		if o.NATed {
			port = o.Dport
		}
		if listening(port) {
			return throughReply(o.Answer, probe.Open)
		}
		return throughReply(o.Refusal, probe.Closed)
	case rules.Reject:
		return throughReply(o.Refusal, rejectState(o.Verdict.RejectWith, proto))
	}
	return probe.Unknown, false
}

// rejectState: a RST reads as closed, and so does port unreachable for
// UDP, which is how a closed UDP port answers anyway; every other ICMP
// answer, and port unreachable to TCP (which no TCP stack sends), reads as
// rejected.
func rejectState(with string, proto uint8) probe.State {
	switch {
	case with == rules.RejectTCPReset:
		return probe.Closed
	case proto != rules.ProtoTCP && (with == rules.RejectPortUnreach || with == rules.RejectPortUnreach6):
		return probe.Closed
	}
	return probe.Rejected
}

// throughReply is state if the reply surely leaves, stealth if it surely
// does not.
func throughReply(r *rules.Reply, state probe.State) (probe.State, bool) {
	switch {
	case r == nil || r.Passes():
		return state, true
	case r.Certain:
		return probe.Stealth, true
	}
	return probe.Unknown, false
}

// Expect is Expected once neighbour discovery, whose solicitations carry
// the prober's global address, is counted: nothing where it surely fails,
// nothing certain where it is undecided. nd is nil for IPv4.
func Expect(res rules.Result, proto uint8, port uint16, listening func(uint16) bool, nd *rules.NeighborDiscovery) (probe.State, bool) {
	return withNeighbor(nd)(Expected(res, proto, port, listening))
}

// ExpectOutcome is ExpectedOutcome once neighbour discovery is counted.
func ExpectOutcome(o rules.Outcome, proto uint8, port uint16, listening func(uint16) bool, nd *rules.NeighborDiscovery) (probe.State, bool) {
	return withNeighbor(nd)(ExpectedOutcome(o, proto, port, listening))
}

func withNeighbor(nd *rules.NeighborDiscovery) func(want probe.State, certain bool) (probe.State, bool) {
	return func(want probe.State, certain bool) (probe.State, bool) {
		switch {
		case nd == nil || nd.FromGlobal.Passes():
			return want, certain
		case nd.FromGlobal.Certain:
			return probe.Stealth, true
		}
		return want, false
	}
}
