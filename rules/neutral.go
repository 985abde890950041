package rules

import (
	"bytes"
	"cmp"
	"net/netip"
	"slices"
)

// NeutralEnv is the environment for rule files, which never comes from
// the machine running perimeter: each query's destination sits on its
// arrival interface; every source routes back through the interface it
// arrived on, so reverse-path checks pass; the host forwards as forwardV4
// and forwardV6 say; a forwarded packet leaves through the interface the
// rules imply for its destination (a rule that names both, as Docker's
// "-d 172.17.0.2/32 -o docker0 -j ACCEPT"), or through one unknown.
// route_localnet is unknown.
func NeutralEnv(rs *Ruleset, qs []Query, forwardV4, forwardV6 bool) *Env {
	env := &Env{From: "rule files (neutral default)", IfaceAddrs: map[string][]netip.Addr{},
		ForwardV4: forwardV4, ForwardV6: forwardV6, SourcesRouteBack: true, Routes: rs.ImpliedRoutes(),
		Assumed: []string{"a destination the rules imply no route for is routed through an unknown interface"}}
	for _, q := range qs {
		if !slices.Contains(env.Local, q.Dst) {
			env.Local = append(env.Local, q.Dst)
			env.IfaceAddrs[q.InIface] = append(env.IfaceAddrs[q.InIface], q.Dst)
		}
	}
	return env
}

// ImpliedRoutes are the routes the rules imply: a rule that names an
// output interface and a destination (or, negated, a source, as a
// masquerade rule "-s 172.17.0.0/16 ! -o docker0" does) places those
// addresses behind that interface. A prefix two interfaces claim is left
// out.
func (rs *Ruleset) ImpliedRoutes() []Route {
	claims := map[netip.Prefix]string{}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, rt := range ruleRoutes(r) {
					if have, ok := claims[rt.Dst]; ok && have != rt.Iface {
						rt.Iface = ""
					}
					claims[rt.Dst] = rt.Iface
				}
			}
		}
	}
	out := []Route{}
	for p, iface := range claims {
		if iface != "" {
			out = append(out, Route{Dst: p, Iface: iface})
		}
	}
	slices.SortFunc(out, func(a, b Route) int {
		return cmp.Or(a.Dst.Addr().Compare(b.Dst.Addr()), a.Dst.Bits()-b.Dst.Bits())
	})
	return out
}

// ruleRoutes are the routes one rule implies.
func ruleRoutes(r *Rule) []Route {
	var out []Route
	for _, m := range r.Matches {
		iface, ok := exactIface(m, FieldOIF)
		if !ok {
			continue
		}
		want := FieldDaddr
		if m.Negate {
			want = FieldSaddr
		}
		for _, p := range rulePrefixes(r, want) {
			out = append(out, Route{Dst: p, Iface: iface})
		}
	}
	return out
}

// exactIface is the one interface name a one-field match names.
func exactIface(m Match, f Field) (string, bool) {
	if len(m.Fields) != 1 || m.Fields[0] != f || len(m.Elems) != 1 || m.Mask != nil {
		return "", false
	}
	iv := m.Elems[0][0]
	if !bytes.Equal(iv.Lo, iv.Hi) {
		return "", false
	}
	return string(bytes.TrimRight(iv.Lo, "\x00")), true
}

// rulePrefixes are the prefixes a rule's positive matches on f name.
func rulePrefixes(r *Rule, f Field) []netip.Prefix {
	var out []netip.Prefix
	for _, m := range r.Matches {
		if len(m.Fields) != 1 || m.Fields[0] != f || m.Negate || m.Mask != nil {
			continue
		}
		for _, e := range m.Elems {
			if p, ok := intervalPrefix(e[0]); ok && p.Bits() > 0 {
				out = append(out, p)
			}
		}
	}
	return out
}

// intervalPrefix is the prefix an address interval spans exactly.
func intervalPrefix(iv Interval) (netip.Prefix, bool) {
	lo, ok1 := netip.AddrFromSlice(iv.Lo)
	hi, ok2 := netip.AddrFromSlice(iv.Hi)
	if !ok1 || !ok2 {
		return netip.Prefix{}, false
	}
	for bits := 0; bits <= lo.BitLen(); bits++ {
		p := netip.PrefixFrom(lo, bits)
		if p.Masked().Addr() == lo && AddrRange(lo, hi).equal(PrefixInterval(p)) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func (iv Interval) equal(o Interval) bool {
	return bytes.Equal(iv.Lo, o.Lo) && bytes.Equal(iv.Hi, o.Hi)
}
