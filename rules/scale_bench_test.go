package rules

import (
	"fmt"
	"net/netip"
	"testing"
)

// BenchmarkPredictScaling shows how the full TCP+UDP map grows with the
// rule count. "services" rulesets spread their rules over 200 ports, as
// real ones do (many sources, few services); "distinct" gives every rule a
// port of its own, the worst case, where the classes grow with the rules.
func BenchmarkPredictScaling(b *testing.B) {
	for _, shape := range []string{"services", "distinct"} {
		for _, n := range []int{1000, 2000, 4000, 8000} {
			b.Run(fmt.Sprintf("%s/%d", shape, n), func(b *testing.B) {
				rs := generated(n, shape == "distinct")
				q := Query{Family: FamilyIPv4, InIface: "eth0", Src: peerAddr, Dst: hostAddr}
				for b.Loop() {
					for _, proto := range []uint8{ProtoTCP, ProtoUDP} {
						q.Proto = proto
						rs.Predict(labEnv, q)
					}
				}
			})
		}
	}
}

// generated is n rules in chains of 50 that INPUT jumps to, each rule
// accepting one /24 on one port.
func generated(n int, distinct bool) *Ruleset {
	input := base("INPUT", HookInput, PriorityFilter, Drop)
	t := table(FamilyIPv4, "filter", input)
	var c *Chain
	for i := range n {
		if i%50 == 0 {
			c = chain(fmt.Sprintf("c%d", i/50))
			t.Chains = append(t.Chains, c)
			input.Rules = append(input.Rules, rule("jump", jump(c.Name)))
		}
		port := uint16(1000 + i%200)
		if distinct {
			port = uint16(1000 + i)
		}
		src := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)
		c.Rules = append(c.Rules, rule("accept", v(Accept), tcp(), dport(port, port),
			NewMatch(FieldSaddr, false, "-s", PrefixInterval(src))))
	}
	return &Ruleset{Tables: []*Table{t}}
}
