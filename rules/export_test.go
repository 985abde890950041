package rules

import (
	"bytes"
	"net/netip"
	"slices"
)

// PredictByClass is the evaluator Predict replaced, kept as the reference
// of the differential test: each class's first port walked on its own.
func (rs *Ruleset) PredictByClass(env *Env, q Query) []PortPrediction {
	hc := rs.hookChains(q.Family)
	probe := Packet{Family: q.Family, Proto: q.Proto, Src: q.Src, Dst: q.Dst, Sport: q.Sport, InIface: q.InIface}
	var out []PortPrediction
	for _, c := range classesOf(rs.cuts(q.Family, FieldDport, FieldCtOrigDport)) {
		p := probe
		p.Dport = c.From
		res := hc.evaluate(p, env)
		if n := len(out); n > 0 && out[n-1].Result.signature() == res.signature() {
			out[n-1].To = c.To
			continue
		}
		out = append(out, PortPrediction{From: c.From, To: c.To, Result: res})
	}
	return out
}

// NamedIfaces are the exact interface names the rules name, in or out.
func (rs *Ruleset) NamedIfaces() []string {
	var out []string
	for _, iv := range rs.intervals(FieldIIF, FieldOIF) {
		if name := string(bytes.TrimRight(iv.Lo, "\x00")); bytes.Equal(iv.Lo, iv.Hi) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// NamedSources are the first addresses of family f's source ranges the
// rules name.
func (rs *Ruleset) NamedSources(f Family) []netip.Addr {
	var out []netip.Addr
	for _, iv := range rs.intervals(FieldSaddr) {
		if a, ok := netip.AddrFromSlice(iv.Lo); ok && a.Is4() == (f == FamilyIPv4) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
