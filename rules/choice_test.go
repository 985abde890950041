package rules

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func udp() Match { return NewMatch(FieldL4Proto, false, "-p udp", Point(U8(ProtoUDP))) }

func sport(p uint16) Match {
	return NewMatch(FieldSport, false, "--sport "+itoa(p), PortRange(p, p))
}

func logRule(text string, ms ...Match) *Rule {
	r := rule(text, Verdict{}, ms...)
	r.Statements = []Statement{{Kind: StmtLog, Log: &Log{Kind: "LOG", Prefix: text}}}
	return r
}

func filterInput(policy VerdictKind, rs ...*Rule) *Ruleset {
	number(rs)
	return &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter", base("INPUT", HookInput, 0, policy, rs...))}}
}

// anySport is a probe whose source port the sender picks.
func anySport(p Packet) Packet {
	p.Sport = 0
	return p
}

func udpTo(port uint16) Packet {
	p := tcpTo(port)
	p.Proto, p.Sport = ProtoUDP, 0
	return p
}

func TestSourcePortIsAChoice(t *testing.T) {
	rs := filterInput(Drop, rule("dns replies", v(Accept), udp(), sport(53)))
	res := rs.Evaluate(udpTo(1234), labEnv)
	if !res.Decided() || res.Default().Verdict.Kind != Drop {
		t.Fatalf("default probe: got %v undecided %v, want a decided drop", res.Verdicts(), res.Undecided)
	}
	if res.Certain() {
		t.Error("a sender from port 53 is let in: the outcomes differ, so not certain")
	}
	other := res.Outcomes[1]
	if other.Verdict.Kind != Accept || !slices.Equal(other.Conditions(), []string{"from source port 53"}) || other.Sport != 53 {
		t.Errorf("other outcome: got %v if %v from %d", other.Verdict, other.Conditions(), other.Sport)
	}
	if got := res.Exposure().String(); got != "reachable if from source port 53" {
		t.Errorf("exposure: got %q", got)
	}
}

func TestSourcePortsPartition(t *testing.T) {
	rs := filterInput(Drop,
		rule("53", v(Accept), udp(), sport(53)),
		rule("67", v(Reject), udp(), sport(67)),
		rule("ephemeral", v(Accept), udp(), NewMatch(FieldSport, false, "--sport 32768:60999", PortRange(32768, 60999))))
	res := rs.Evaluate(udpTo(9), labEnv)
	var conds []string
	for _, o := range res.Outcomes {
		conds = append(conds, strings.Join(o.Conditions(), "+")+"="+o.Verdict.Kind.String())
	}
	want := []string{"=accept", "from source port 0-52, 54-66, 68-32767, 60000-65535=drop", "from source port 53=accept", "from source port 67=reject"}
	slices.Sort(conds)
	if want[1] = strings.Replace(want[1], "60000", "61000", 1); !slices.Equal(conds, want) {
		t.Errorf("outcomes: got %q, want %q (each a set of source ports, none impossible)", conds, want)
	}
}

func TestLoggingPerOutcome(t *testing.T) {
	// Shorewall: late DNS replies are dropped without a log before the
	// logged drop of everything else.
	rs := filterInput(Accept,
		rule("late dns", v(Drop), udp(), sport(53)),
		logRule("net-fw drop: "),
		rule("drop", v(Drop)))
	res := rs.Evaluate(udpTo(1234), labEnv)
	if !res.Logged() || res.Default().Decider.Text != "drop" {
		t.Errorf("default probe: want logged and dropped by the last rule, got logged=%v by %q", res.Logged(), res.Default().Decider.Text)
	}
	if other := res.Outcomes[1]; len(other.Logs) != 0 || other.Decider.Text != "late dns" {
		t.Errorf("from port 53: want unlogged, dropped by late dns, got %d logs by %q", len(other.Logs), other.Decider.Text)
	}
}

func TestIPsecIsNotTheDefault(t *testing.T) {
	ipsec := NewMatch(FieldIPsec, false, "-m policy --dir in --pol ipsec", Point(U8(1)))
	rs := filterInput(Drop, logRule("ipsec in: ", ipsec))
	res := rs.Evaluate(tcpTo(22), labEnv)
	if res.Logged() || !res.Decided() {
		t.Errorf("a plain probe is no IPsec: got logged=%v, undecided %v", res.Logged(), res.Undecided)
	}
	if len(res.Outcomes) != 2 || !slices.Equal(res.Outcomes[1].Conditions(), []string{"over IPsec"}) || len(res.Outcomes[1].Logs) != 1 {
		t.Errorf("want the IPsec outcome, logged, beside it: got %+v", res.Outcomes)
	}
}

func TestRateIsAChoice(t *testing.T) {
	limit := Limit("limit: avg 100/min burst 5", Rate{PerSecond: 100.0 / 60, Burst: 5}, false)
	rs := filterInput(Drop, rule("22", v(Accept), tcp(), dport(22, 22)), rule("limited reject", v(Reject), limit))
	res := rs.Evaluate(tcpTo(80), labEnv)
	if !res.Decided() || res.Default().Verdict.Kind != Reject {
		t.Errorf("one packet at a time meets the reject: got %v, undecided %v", res.Verdicts(), res.Undecided)
	}
	if got := res.Exposure(); got.Reach != NotReachable {
		t.Errorf("no rate opens the port: got %s", got)
	}
	faster := res.Outcomes[1]
	if faster.Verdict.Kind != Drop || faster.Conditions()[0] != "faster than 100/min (burst 5)" {
		t.Errorf("faster: got %v if %v", faster.Verdict, faster.Conditions())
	}

	dos := Limit("limit: avg 10000/sec burst 5", Rate{PerSecond: 10000, Burst: 5}, false)
	rs = &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter",
		base("INPUT", HookInput, 0, Drop, rule("dos", jump("DOS"), tcp()), rule("web", v(Accept), tcp(), dport(80, 80))),
		chain("DOS", rule("below", v(Return), tcp(), dos), rule("above", v(Drop), tcp())))}}
	if got := rs.Evaluate(tcpTo(80), labEnv).Exposure().String(); got != "reachable" {
		t.Errorf("below 10000/s the service is reached: got %q", got)
	}
}

func TestRecentIsOrder(t *testing.T) {
	set := &Rule{Matches: []Match{tcp(), dport(22, 22)}, Statements: []Statement{{Kind: StmtRecentSet, Set: "ssh"}}, Origin: Origin{Text: "set"}}
	update := Match{Text: "-m recent --update --hitcount 4 --name ssh", Recent: &Recent{Name: "ssh", HitCount: 4, Seconds: 60}}
	never := Match{Text: "-m recent --rcheck --name nobody-sets-me", Recent: &Recent{Name: "nobody-sets-me"}}
	rs := filterInput(Drop, set, rule("too many", v(Drop), tcp(), dport(22, 22), update),
		rule("listed elsewhere", v(Drop), never), rule("ssh", v(Accept), tcp(), dport(22, 22)))
	res := rs.Evaluate(tcpTo(22), labEnv)
	if !res.Decided() || res.Default().Verdict.Kind != Accept {
		t.Fatalf("first contact: got %v, undecided %v", res.Verdicts(), res.Undecided)
	}
	if len(res.Outcomes) != 2 {
		t.Fatalf("want first contact and the fourth probe, got %d outcomes (a list no rule fills makes none)", len(res.Outcomes))
	}
	var order *Order
	for _, a := range res.Outcomes[1].Assumed {
		if a.Departs() {
			order = a.Order
		}
	}
	if order == nil || order.Earlier != 3 || order.List != "ssh" {
		t.Errorf("fourth probe: want 3 earlier probes on list ssh, got %+v", order)
	}
}

func TestUnknownTargetIsUndecided(t *testing.T) {
	rs := filterInput(Accept, rule("mystery", Verdict{Kind: UnknownTarget, Target: "FOO"}, tcp()))
	res := rs.Evaluate(tcpTo(22), labEnv)
	if res.Decided() || !slices.Contains(res.Undecided, "-j FOO") {
		t.Errorf("a target that may end the walk: want undecided on -j FOO, got %v", res.Undecided)
	}
	if got := res.Exposure().Reach; got != ReachUnknown {
		t.Errorf("exposure: got %s", got)
	}
}

func TestLoopIsBounded(t *testing.T) {
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter",
		base("INPUT", HookInput, 0, Drop, rule("a", jump("A"))),
		chain("A", rule("to b", jump("B"))), chain("B", rule("to a", jump("A"))))}}
	res := rs.Evaluate(tcpTo(22), labEnv)
	if res.Decided() || res.Default().Verdict.Kind != UnknownTarget {
		t.Errorf("a loop the kernel would refuse: want undecided, got %v", res.Verdicts())
	}
}

func TestRoutingVerdicts(t *testing.T) {
	backend := netip.MustParseAddr("2001:db8:dead::1")
	dnat := rule("dnat", Verdict{Kind: DNAT, NAT: &NAT{Addr: backend, Port: 80}}, tcp())
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv6, "nat", base("PREROUTING", HookPrerouting, PriorityDstNAT, Accept, dnat))}}
	host := netip.MustParseAddr("2001:db8::1")
	p := Packet{Family: FamilyIPv6, Proto: ProtoTCP, Src: netip.MustParseAddr("2001:db8::2"), Dst: host, Sport: 40000, Dport: 8080, InIface: "eth0"}
	env := &Env{Local: []netip.Addr{host}, RoutesComplete: true, Routes: []Route{{netip.MustParsePrefix("2001:db8::/64"), "eth0"}}}
	if got := rs.Evaluate(p, env).Default().Verdict; got.RejectWith != RejectNoRoute6 {
		t.Errorf("IPv6 to no route, not forwarding: got %v, want ICMPv6 no-route", got)
	}
	env.RoutesComplete = false
	if got := rs.Evaluate(p, env).Default().Verdict; got.Kind != Drop {
		t.Errorf("routes unknown, not forwarding: got %v, want drop", got)
	}
}

func TestRPFilterSysctl(t *testing.T) {
	rs := filterInput(Accept)
	env := &Env{Local: labEnv.Local, RoutesComplete: true, RPFilter: map[string]uint8{"eth0": 1},
		Routes: []Route{{netip.MustParsePrefix("198.18.0.0/24"), "eth0"}, {netip.MustParsePrefix("0.0.0.0/0"), "wan0"}}}
	spoofed := tcpTo(22)
	spoofed.Src = netip.MustParseAddr("203.0.113.9")
	if got := rs.Evaluate(spoofed, env).Default(); got.Verdict.Kind != Drop || got.Decider.Table != "routing" {
		t.Errorf("strict rp_filter, source routed back elsewhere: got %v by %v", got.Verdict, got.Decider)
	}
	env.RPFilter["eth0"] = 2
	if got := rs.Evaluate(spoofed, env).Default().Verdict.Kind; got != Accept {
		t.Errorf("loose rp_filter: got %v", got)
	}
}

func TestRouteLocalnet(t *testing.T) {
	loop := rule("to loopback", Verdict{Kind: DNAT, NAT: &NAT{Addr: netip.MustParseAddr("127.0.0.1")}}, tcp())
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "nat", base("PREROUTING", HookPrerouting, PriorityDstNAT, Accept, loop))}}
	for _, c := range []struct {
		localnet map[string]bool
		want     string
	}{{nil, "undecided"}, {map[string]bool{"eth0": false}, "drop"}, {map[string]bool{"eth0": true}, "accept"}} {
		res := rs.Evaluate(tcpTo(8080), &Env{Local: labEnv.Local, RouteLocalnet: c.localnet})
		got := res.Default().Verdict.Kind.String()
		if !res.Decided() {
			got = "undecided"
		}
		if got != c.want {
			t.Errorf("route_localnet %v: got %s, want %s", c.localnet, got, c.want)
		}
	}
}

func TestImpliedRoutes(t *testing.T) {
	oif := NewMatch(FieldOIF, false, "-o docker0", Point(IfaceKey("docker0")))
	notOif := NewMatch(FieldOIF, true, "! -o docker0", Point(IfaceKey("docker0")))
	dst := NewMatch(FieldDaddr, false, "-d 172.17.0.2/32", PrefixInterval(netip.MustParsePrefix("172.17.0.2/32")))
	src := NewMatch(FieldSaddr, false, "-s 172.17.0.0/16", PrefixInterval(netip.MustParsePrefix("172.17.0.0/16")))
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter", chain("DOCKER", rule("accept", v(Accept), dst, oif), rule("masq", v(Accept), src, notOif)))}}
	got := rs.ImpliedRoutes()
	want := []Route{{netip.MustParsePrefix("172.17.0.0/16"), "docker0"}, {netip.MustParsePrefix("172.17.0.2/32"), "docker0"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	env := NeutralEnv(rs, []Query{{Family: FamilyIPv4, InIface: "eth0", Dst: hostAddr}}, true, true)
	if iface, _ := env.route(netip.MustParseAddr("172.17.0.9")); iface != "docker0" {
		t.Errorf("a container's route: got %q", iface)
	}
	if iface, known := env.route(netip.MustParseAddr("192.0.2.1")); known || iface != "" {
		t.Errorf("any other route is unknown: got %q known=%v", iface, known)
	}
}

func TestNeighborDiscoveryFromBothSources(t *testing.T) {
	icmp6 := NewMatch(FieldL4Proto, false, "-p ipv6-icmp", Point(U8(ProtoICMPv6)))
	linkLocal := NewMatch(FieldSaddr, false, "-s fe80::/10", PrefixInterval(netip.MustParsePrefix("fe80::/10")))
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv6, "filter",
		base("INPUT", HookInput, 0, Drop, rule("nd from link-local", v(Accept), icmp6, linkLocal)))}}
	host := netip.MustParseAddr("2001:db8::1")
	q := Query{Family: FamilyIPv6, Proto: ProtoTCP, InIface: "eth0", Src: netip.MustParseAddr("2001:db8::2"), Dst: host}
	nd := rs.NeighborDiscovery(&Env{Local: []netip.Addr{host}}, q)
	if !nd.FromLinkLocal.Passes() || nd.FromGlobal.Passes() || !nd.Blocked() {
		t.Errorf("want answered from link-local only: %+v %+v", nd.FromLinkLocal, nd.FromGlobal)
	}
}

func TestMaskedSourcePortDefaultsToTheDefaultProbe(t *testing.T) {
	low := NewMatch(FieldSport, false, "tcp sport & 0xfc00 == 0", Point(U16(0)))
	low.Mask = U16(0xfc00)
	rs := filterInput(Drop, rule("privileged source ports", v(Accept), tcp(), low))
	res := rs.Evaluate(anySport(tcpTo(80)), labEnv)
	if got := res.Default().Verdict.Kind; got != Drop || !res.Decided() {
		t.Errorf("an ephemeral source port is not below 1024: got %v, undecided %v", got, res.Undecided)
	}
	if len(res.Outcomes) != 2 || res.Outcomes[1].Verdict.Kind != Accept || res.Outcomes[1].IsDefault() {
		t.Errorf("want the sender's other choice accepted beside it, got %+v", res.Outcomes)
	}
}
