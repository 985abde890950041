package rules

import (
	"net/netip"
	"strings"
	"testing"
)

// A tiny builder, so tests read like the rulesets they describe.

func table(f Family, name string, chains ...*Chain) *Table {
	return &Table{Family: f, Name: name, Backend: BackendIptablesFile, Chains: chains}
}

func base(name string, h Hook, prio int, policy VerdictKind, rs ...*Rule) *Chain {
	c := &Chain{Name: name, Hook: h, Priority: prio, Policy: Verdict{Kind: policy}, Rules: rs}
	if prio == PriorityDstNAT {
		c.Type = "nat"
	}
	return c
}

func chain(name string, rs ...*Rule) *Chain { return &Chain{Name: name, Rules: rs} }

func rule(text string, v Verdict, ms ...Match) *Rule {
	return &Rule{Matches: ms, Verdict: v, Origin: Origin{Text: text}}
}

func dport(lo, hi uint16) Match {
	return NewMatch(FieldDport, false, "--dport", PortRange(lo, hi))
}

func tcp() Match { return NewMatch(FieldL4Proto, false, "-p tcp", Point(U8(ProtoTCP))) }

func v(k VerdictKind) Verdict { return Verdict{Kind: k} }

func jump(c string) Verdict { return Verdict{Kind: Jump, Chain: c} }

var (
	hostAddr = netip.MustParseAddr("198.18.0.1")
	peerAddr = netip.MustParseAddr("198.18.0.2")
	labEnv   = &Env{Local: []netip.Addr{hostAddr}}
)

func tcpTo(port uint16) Packet {
	return Packet{Family: FamilyIPv4, Proto: ProtoTCP, Src: peerAddr, Dst: hostAddr, Sport: 40000, Dport: port, InIface: "eth0"}
}

func number(rs []*Rule) {
	for i, r := range rs {
		r.Origin.Position = i + 1
	}
}

func TestEvaluateVerdicts(t *testing.T) {
	input := []*Rule{
		rule("accept 22", v(Accept), tcp(), dport(22, 22)),
		rule("jump web", jump("web"), tcp(), dport(80, 443)),
		rule("reject 25", Verdict{Kind: Reject, RejectWith: RejectTCPReset}, tcp(), dport(25, 25)),
	}
	number(input)
	web := []*Rule{
		rule("return 81-442", v(Return), dport(81, 442)),
		rule("accept rest", v(Accept)),
	}
	number(web)
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter",
		base("INPUT", HookInput, PriorityFilter, Drop, input...), chain("web", web...))}}
	cases := []struct {
		port uint16
		want string
		by   string
	}{
		{22, "accept", "accept 22"},
		{80, "accept", "accept rest"},
		{443, "accept", "accept rest"},
		{200, "drop", "policy drop"},
		{25, "reject:tcp-reset", "reject 25"},
		{26, "drop", "policy drop"},
	}
	for _, c := range cases {
		res := rs.Evaluate(tcpTo(c.port), labEnv)
		if !res.Certain() || res.Outcomes[0].Verdict.String() != c.want || res.Outcomes[0].Decider.Text != c.by {
			t.Errorf("port %d: got %v by %q, want %s by %q", c.port, res.Verdicts(), res.Outcomes[0].Decider.Text, c.want, c.by)
		}
	}
}

func TestEvaluateAcceptEndsOnlyItsBaseChain(t *testing.T) {
	rs := &Ruleset{Tables: []*Table{
		table(FamilyIPv4, "first", base("in", HookInput, -10, Accept, rule("accept all", v(Accept)))),
		table(FamilyInet, "second", base("in", HookInput, 10, Accept, rule("drop 22", v(Drop), tcp(), dport(22, 22)))),
	}}
	if got := rs.Evaluate(tcpTo(22), labEnv).Verdicts(); got[0] != "drop" {
		t.Errorf("accept in an earlier base chain must not stop a later drop: got %v", got)
	}
	if got := rs.Evaluate(tcpTo(23), labEnv); got.Outcomes[0].Decider.Text != "accept all" {
		t.Errorf("decider: got %q, want the accepting rule", got.Outcomes[0].Decider.Text)
	}
}

func TestEvaluateUndecided(t *testing.T) {
	set := Opaque("-m set --match-set blocked src")
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter",
		base("INPUT", HookInput, 0, Accept,
			rule("drop blocked", v(Drop), tcp(), set),
			rule("log limited", Verdict{}, Limit("limit: avg 3/min", Rate{PerSecond: 0.05, Burst: 5}, false)),
			rule("drop blocked again", v(Drop), set)))}}
	rs.Tables[0].Chains[0].Rules[1].Statements = []Statement{{Kind: StmtLog, Log: &Log{Kind: "LOG", Prefix: "in: "}}}
	res := rs.Evaluate(tcpTo(22), labEnv)
	if res.Certain() || len(res.Outcomes) != 2 {
		t.Fatalf("want two outcomes (blocked or not), got %+v", res.Outcomes)
	}
	if strings.Join(res.Undecided, ";") != set.Text {
		t.Errorf("undecided: got %q, want only the set match (the log limit decides nothing)", res.Undecided)
	}
	accepted := res.Outcomes[1]
	if accepted.Verdict.Kind != Accept || len(accepted.Logs) != 1 || accepted.Logs[0].Limit != "limit: avg 3/min" {
		t.Errorf("second outcome: want accept with a rate-limited log, got %+v", accepted)
	}
}

func TestEvaluateDNATForward(t *testing.T) {
	backend := netip.MustParseAddr("198.19.0.2")
	dnat := Verdict{Kind: DNAT, NAT: &NAT{Addr: backend, Port: 80}}
	ctDNAT := AnyBit(FieldCtState, false, "--ctstate DNAT", uint8(CtDNAT))
	oif := NewMatch(FieldOIF, false, "-o docker0", Point(IfaceKey("docker0")))
	rs := &Ruleset{Tables: []*Table{
		table(FamilyIPv4, "nat", base("PREROUTING", HookPrerouting, PriorityDstNAT, Accept,
			rule("dnat 8080", dnat, tcp(), dport(8080, 8080)))),
		table(FamilyIPv4, "filter",
			base("INPUT", HookInput, 0, Drop),
			base("FORWARD", HookForward, 0, Drop, rule("accept dnat", v(Accept), ctDNAT, oif))),
	}}
	env := &Env{Local: labEnv.Local, ForwardV4: true, Routes: []Route{{netip.MustParsePrefix("198.19.0.0/16"), "docker0"}}}
	res := rs.Evaluate(tcpTo(8080), env)
	o := res.Outcomes[0]
	if !res.Certain() || o.Verdict.Kind != Accept || !o.Forwarded || o.Dst != backend || o.Dport != 80 {
		t.Errorf("published port: got %+v", o)
	}
	env.ForwardV4 = false
	if got := rs.Evaluate(tcpTo(8080), env).Verdicts(); got[0] != "drop" {
		t.Errorf("forwarding off: got %v, want drop", got)
	}
	env.ForwardV4, env.Routes = true, nil
	if res := rs.Evaluate(tcpTo(8080), env); res.Certain() {
		t.Errorf("without a route the output interface is unknown: want undecided, got %v", res.Verdicts())
	}
}

func TestEvaluateGotoReturnsToCaller(t *testing.T) {
	// A goto chain's return goes back past the chain that did the goto.
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter",
		base("INPUT", HookInput, 0, Drop, rule("jump a", jump("a")), rule("accept after a", v(Accept), dport(1, 100))),
		chain("a", rule("goto b", Verdict{Kind: Goto, Chain: "b"}), rule("never", v(Drop))),
		chain("b", rule("return", v(Return))),
	)}}
	if got := rs.Evaluate(tcpTo(10), labEnv); got.Outcomes[0].Decider.Text != "accept after a" {
		t.Errorf("got %v by %q", got.Verdicts(), got.Outcomes[0].Decider.Text)
	}
}

func TestEvaluateMarks(t *testing.T) {
	mark := NewMatch(FieldMark, false, "-m mark --mark 0x1/0xff", Point(U32(1)))
	mark.Mask = U32(0xff)
	set := &Rule{Statements: []Statement{{Kind: StmtSetMark, Value: 0x101, Mask: 0xffff}}, Origin: Origin{Text: "mark"}}
	rs := &Ruleset{Tables: []*Table{
		table(FamilyIPv4, "mangle", base("PREROUTING", HookPrerouting, PriorityMangle, Accept, set)),
		table(FamilyIPv4, "filter", base("INPUT", HookInput, 0, Drop, rule("accept marked", v(Accept), mark))),
	}}
	if got := rs.Evaluate(tcpTo(10), labEnv).Verdicts(); got[0] != "accept" {
		t.Errorf("mark set in mangle must reach filter: got %v", got)
	}
}

func TestPredictClasses(t *testing.T) {
	input := []*Rule{
		rule("accept 22", v(Accept), tcp(), dport(22, 22)),
		rule("accept 1000-2000", v(Accept), tcp(), dport(1000, 2000)),
		rule("accept 1500-3000", v(Accept), tcp(), dport(1500, 3000)),
	}
	number(input)
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter", base("INPUT", HookInput, 0, Drop, input...))}}
	got := rs.Predict(labEnv, Query{Family: FamilyIPv4, Proto: ProtoTCP, Src: peerAddr, Dst: hostAddr, InIface: "eth0"})
	var b strings.Builder
	for _, p := range got {
		b.WriteString(strings.Join([]string{itoa(p.From), itoa(p.To), p.Result.Verdicts()[0], p.Result.Outcomes[0].Decider.Text}, " ") + "\n")
	}
	want := "0 21 drop policy drop\n22 22 accept accept 22\n23 999 drop policy drop\n1000 2000 accept accept 1000-2000\n2001 3000 accept accept 1500-3000\n3001 65535 drop policy drop\n"
	if b.String() != want {
		t.Errorf("got\n%swant\n%s", b.String(), want)
	}
}

func itoa(p uint16) string { return netip.AddrPortFrom(netip.IPv4Unspecified(), p).String()[8:] }

func TestEvaluateReversePath(t *testing.T) {
	rpf := NewMatch(FieldRPFilter, true, "fib saddr . iif oif missing", Point(U8(1)))
	rs := &Ruleset{Tables: []*Table{table(FamilyInet, "fw",
		base("pre", HookPrerouting, PriorityRaw, Accept, rule("rpfilter drop", v(Drop), rpf)))}}
	routes := []Route{{netip.MustParsePrefix("198.18.0.0/24"), "eth0"}, {netip.MustParsePrefix("0.0.0.0/0"), "wan0"}}
	env := &Env{Local: labEnv.Local, Routes: routes}
	if got := rs.Evaluate(tcpTo(22), env).Verdicts(); got[0] != "accept" {
		t.Errorf("source routed back through the incoming interface: got %v, want accept", got)
	}
	spoofed := tcpTo(22)
	spoofed.Src = netip.MustParseAddr("203.0.113.9") // routed back through wan0, arrived on eth0
	if got := rs.Evaluate(spoofed, env).Verdicts(); got[0] != "drop" {
		t.Errorf("source routed back elsewhere: got %v, want drop", got)
	}
	if res := rs.Evaluate(spoofed, &Env{Local: labEnv.Local}); res.Certain() {
		t.Errorf("without routes the check cannot be decided, got %v", res.Verdicts())
	}
}
