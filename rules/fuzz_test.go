package rules

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"
)

// FuzzEvaluate builds rulesets from random bytes, loops, deep jumps and
// every kind of match the evaluator forks on included, and predicts them:
// the evaluation must end, cover every port once, put the default probe's
// outcome first, and agree with the class-by-class reference.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c})
	f.Add([]byte{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}) // jumps into one another
	f.Fuzz(func(t *testing.T, data []byte) {
		rs := fuzzRuleset(data)
		env := NeutralEnv(rs, []Query{{Family: FamilyIPv4, InIface: "eth0", Dst: hostAddr}}, true, true)
		for _, proto := range []uint8{ProtoTCP, ProtoUDP} {
			q := Query{Family: FamilyIPv4, Proto: proto, InIface: "eth0", Src: peerAddr, Dst: hostAddr}
			got := rs.Predict(env, q)
			checkPrediction(t, got)
			if want := rs.PredictByClass(env, q); !reflect.DeepEqual(got, want) {
				t.Fatalf("Predict and the class-by-class evaluator disagree:\n%+v\n%+v", got, want)
			}
		}
	})
}

func checkPrediction(t *testing.T, preds []PortPrediction) {
	next := 0
	for _, p := range preds {
		if int(p.From) != next || p.To < p.From {
			t.Fatalf("ports %d-%d after %d", p.From, p.To, next-1)
		}
		next = int(p.To) + 1
		if len(p.Result.Outcomes) == 0 || !p.Result.Default().IsDefault() {
			t.Fatalf("ports %d-%d: the first outcome is not the default probe's: %+v", p.From, p.To, p.Result.Outcomes)
		}
		_ = p.Result.Exposure().String()
	}
	if next != 0x10000 {
		t.Fatalf("ports end at %d", next-1)
	}
}

// fuzzRuleset reads bytes as up to 8 chains of rules: each rule is two
// bytes, a match and a verdict from small palettes.
func fuzzRuleset(data []byte) *Ruleset {
	t := table(FamilyIPv4, "filter", base("INPUT", HookInput, 0, Drop))
	nat := table(FamilyIPv4, "nat", base("PREROUTING", HookPrerouting, PriorityDstNAT, Accept))
	for i := 1; i < 8; i++ {
		t.Chains = append(t.Chains, chain(fmt.Sprintf("c%d", i)))
	}
	for i := 0; i+1 < len(data) && i < 256; i += 2 {
		c := t.Chains[int(data[i]>>5)]
		if i%16 == 14 {
			c = nat.Chains[0]
		}
		r := rule(fmt.Sprintf("rule %d", i/2), fuzzVerdict(data[i+1]), fuzzMatches(data[i])...)
		if data[i]&0x1f == 18 {
			r.VMap = portVMap(fmt.Sprintf("c%d", 1+int(data[i+1]>>4&7)%7))
		}
		if data[i+1]&0x80 != 0 {
			r.Statements = append(r.Statements, Statement{Kind: StmtLog, Log: &Log{Kind: "LOG"}},
				Statement{Kind: StmtRecentSet, Set: "list"})
		}
		c.Rules = append(c.Rules, r)
	}
	return &Ruleset{Tables: []*Table{nat, t}}
}

func fuzzMatches(b byte) []Match {
	switch b & 0x1f {
	case 0:
		return nil
	case 1:
		return []Match{tcp(), dport(uint16(b)*100, uint16(b)*100+50)}
	case 2:
		return []Match{sport(53)}
	case 3:
		return []Match{NewMatch(FieldSport, true, "! --sport 1024:65535", PortRange(1024, 65535))}
	case 4:
		return []Match{Limit("limit: avg 3/min", Rate{PerSecond: 0.05, Burst: 5}, b&0x20 != 0)}
	case 5:
		return []Match{{Text: "recent", Recent: &Recent{Name: "list", HitCount: int(b >> 5)}}}
	case 6:
		return []Match{Opaque("-m set --match-set x src")}
	case 7:
		return []Match{NewMatch(FieldIPsec, false, "ipsec", Point(U8(1)))}
	case 8:
		return []Match{Chosen("connlimit", false, "with many connections")}
	case 9:
		return []Match{NewMatch(FieldOIF, false, "-o docker0", Point(IfaceKey("docker0")))}
	case 10:
		return []Match{NewMatch(FieldLength, false, "--length 0:100", PortRange(0, 100))}
	case 11:
		return []Match{AnyBit(FieldCtState, false, "--ctstate DNAT", uint8(CtDNAT))}
	case 12:
		return []Match{NewMatch(FieldCtOrigSport, false, "--ctorigsrcport 67", PortRange(67, 67))}
	case 13:
		return []Match{NewMatch(FieldCtOrigDport, false, "--ctorigdstport 80:3300", PortRange(80, 3300))}
	case 14:
		return []Match{tcp(), NewMatch(FieldDport, true, "! --dport 100:200", PortRange(100, 200))}
	case 15:
		return []Match{concat("ip saddr . tcp dport", FieldSaddr, FieldDport,
			Elem{PrefixInterval(netip.PrefixFrom(peerAddr, 32)), PortRange(22, 25)},
			Elem{PrefixInterval(netip.MustParsePrefix("198.18.9.0/24")), PortRange(20, 30)})}
	case 16:
		return []Match{concat("tcp sport . tcp dport", FieldSport, FieldDport,
			Elem{PortRange(53, 53), PortRange(100, 700)})}
	case 17:
		m := NewMatch(FieldDport, false, "tcp dport & 0xff00 == 0x0100", Point(U16(0x0100)))
		m.Mask = U16(0xff00)
		return []Match{m}
	case 19:
		m := NewMatch(FieldSport, false, "tcp sport & 0xff00 == 0x0100", Point(U16(0x0100)))
		m.Mask = U16(0xff00)
		return []Match{m}
	case 20:
		return []Match{NewMatch(FieldSport, false, "--sport 3300:3400", PortRange(3300, 3400))}
	}
	return []Match{dport(uint16(b)*7, uint16(b)*9)}
}

func fuzzVerdict(b byte) Verdict {
	target := fmt.Sprintf("c%d", 1+int(b>>4&7)%7)
	switch b & 0x0f {
	case 0:
		return v(Accept)
	case 1:
		return v(Drop)
	case 2:
		return Verdict{Kind: Reject, RejectWith: RejectTCPReset}
	case 3, 4:
		return jump(target)
	case 5:
		return Verdict{Kind: Goto, Chain: target}
	case 6:
		return v(Return)
	case 7:
		return Verdict{Kind: UnknownTarget, Target: "FOO"}
	case 8:
		return Verdict{Kind: DNAT, NAT: &NAT{Addr: netip.MustParseAddr("172.17.0.2"), Port: 80}}
	case 9:
		return Verdict{Kind: Redirect, NAT: &NAT{Port: 3128}}
	case 10:
		return Verdict{Kind: Queue, Queue: "num 1"}
	case 11:
		return Verdict{Kind: DNAT, NAT: &NAT{Port: 3300}} // the port of a class of its own
	}
	return Verdict{}
}

func concat(text string, f1, f2 Field, elems ...Elem) Match {
	return Match{Fields: []Field{f1, f2}, Text: text, Elems: elems}
}

// portVMap is a verdict map on the destination port.
func portVMap(target string) *VMap {
	entry := func(iv Interval, v Verdict) VMapEntry { return VMapEntry{Elem: Elem{iv}, Verdict: v} }
	return &VMap{Fields: []Field{FieldDport}, Text: "tcp dport vmap", Entries: []VMapEntry{
		entry(PortRange(22, 22), v(Accept)), entry(PortRange(80, 90), v(Drop)),
		entry(PortRange(3300, 3300), jump(target)), entry(PortRange(100, 6500), Verdict{Kind: Reject, RejectWith: RejectTCPReset})}}
}
