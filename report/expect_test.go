package report

import (
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

func TestExpected(t *testing.T) {
	accept := rules.Verdict{Kind: rules.Accept}
	pass := &rules.Reply{Verdict: accept, Certain: true}
	dropped := &rules.Reply{Verdict: rules.Verdict{Kind: rules.Drop}, Certain: true}
	undecided := &rules.Reply{Verdict: accept, Undecided: []string{"-m set --match-set allowed dst"}}
	fromPort53 := rules.Assumption{Match: "source port 53", Holds: true, Kind: rules.ChoiceCondition, If: "from source port 53"}
	reject := func(with string) rules.Outcome {
		return rules.Outcome{Verdict: rules.Verdict{Kind: rules.Reject, RejectWith: with}, Refusal: pass}
	}
	cases := []struct {
		name      string
		outcomes  []rules.Outcome
		proto     uint8
		listening bool
		want      probe.State
		certain   bool
	}{
		{"accept, listener", []rules.Outcome{{Verdict: accept, Answer: pass, Refusal: pass}}, rules.ProtoTCP, true, probe.Open, true},
		{"accept, none", []rules.Outcome{{Verdict: accept, Answer: pass, Refusal: pass}}, rules.ProtoTCP, false, probe.Closed, true},
		{"answer dropped on the way out", []rules.Outcome{{Verdict: accept, Answer: dropped, Refusal: pass}}, rules.ProtoTCP, true, probe.Stealth, true},
		{"answer undecided", []rules.Outcome{{Verdict: accept, Answer: undecided}}, rules.ProtoTCP, true, probe.Unknown, false},
		{"drop", []rules.Outcome{{Verdict: rules.Verdict{Kind: rules.Drop}}}, rules.ProtoTCP, true, probe.Stealth, true},
		{"tcp reset", []rules.Outcome{reject(rules.RejectTCPReset)}, rules.ProtoTCP, true, probe.Closed, true},
		{"port unreachable to tcp", []rules.Outcome{reject(rules.RejectPortUnreach)}, rules.ProtoTCP, true, probe.Rejected, true},
		{"port unreachable to udp", []rules.Outcome{reject(rules.RejectPortUnreach)}, rules.ProtoUDP, true, probe.Closed, true},
		{"admin prohibited", []rules.Outcome{reject(rules.RejectAdminProhib6)}, rules.ProtoUDP, false, probe.Rejected, true},
		{"unknowns disagree", []rules.Outcome{{Verdict: accept, Answer: pass}, {Verdict: rules.Verdict{Kind: rules.Drop}}}, rules.ProtoTCP, true, probe.Unknown, false},
		{"a sender's choice disagrees", []rules.Outcome{{Verdict: accept, Answer: pass}, {Verdict: rules.Verdict{Kind: rules.Drop}, Assumed: []rules.Assumption{fromPort53}}}, rules.ProtoTCP, true, probe.Open, true},
		{"queue", []rules.Outcome{{Verdict: rules.Verdict{Kind: rules.Queue}}}, rules.ProtoTCP, true, probe.Unknown, false},
	}
	for _, c := range cases {
		got, certain := Expected(rules.Result{Outcomes: c.outcomes}, c.proto, 80, func(uint16) bool { return c.listening })
		if got != c.want || certain != c.certain {
			t.Errorf("%s: got %s (certain %v), want %s (certain %v)", c.name, got, certain, c.want, c.certain)
		}
	}
}

func TestExpectedFollowsNAT(t *testing.T) {
	o := rules.Outcome{Verdict: rules.Verdict{Kind: rules.Accept}, NATed: true, Dport: 8443}
	got, _ := Expected(rules.Result{Outcomes: []rules.Outcome{o}}, rules.ProtoTCP, 443, func(p uint16) bool { return p == 8443 })
	if got != probe.Open {
		t.Errorf("a port redirected to a listening one: got %s, want open", got)
	}
}
