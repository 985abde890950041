package report

import (
	"fmt"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// rest sums up, per protocol and family, the ports without a row: how
// many a prober sees in each state, and where they are logged. Lines that
// read the same for both families are said once.
func (j *join) rest(rows []Row) []string {
	out := []string{}
	shown := shownPorts(rows)
	for _, proto := range j.protocols() {
		byFamily := map[rules.Family]string{}
		var families []rules.Family
		for _, s := range j.setsOf(proto) {
			if _, done := byFamily[s.Query.Family]; done {
				continue
			}
			byFamily[s.Query.Family], families = restLine(s, shown[proto]), append(families, s.Query.Family)
		}
		if len(families) == 2 && byFamily[families[0]] == byFamily[families[1]] {
			out = append(out, fmt.Sprintf("%s (IPv4 and IPv6): %s", proto, byFamily[families[0]]))
			continue
		}
		for _, f := range families {
			out = append(out, fmt.Sprintf("%s (%s): %s", proto, FamilyWord(f), byFamily[f]))
		}
	}
	return out
}

// shownPorts are, per protocol, the ports that have a row.
func shownPorts(rows []Row) map[string]portSet {
	out := map[string]portSet{}
	for _, r := range rows {
		ps := out[r.Protocol]
		ps.add(r.FromPort, r.ToPort)
		out[r.Protocol] = ps
	}
	return out
}

// restLine is what the first origin of a family sees of the ports not
// shown: "65,519 ports stealth, logged on 1-1023 only", with the
// exposure where a sender reaches them.
func restLine(s PredictionSet, shown portSet) string {
	type group struct{ all, logged portSet }
	groups := map[string]*group{}
	var order []string
	nobody := func(uint16) bool { return false }
	for _, p := range s.Predictions {
		st, _ := Expect(p.Result, s.Query.Proto, p.From, nobody, s.Neighbor)
		key := string(st)
		if e := p.Result.Exposure(); e.Reach != rules.NotReachable {
			key += " (" + e.String() + ")"
		}
		if groups[key] == nil {
			groups[key], order = &group{}, append(order, key)
		}
		for _, r := range without(p.From, p.To, shown) {
			groups[key].all.add(r[0], r[1])
			if p.Result.Logged() {
				groups[key].logged.add(r[0], r[1])
			}
		}
	}
	var parts []string
	for _, key := range order {
		if g := groups[key]; g.all.size() > 0 {
			parts = append(parts, fmt.Sprintf("%s %s, %s", countWord(g.all.size(), "port"), key, loggedWhere(g.all, g.logged)))
		}
	}
	if len(parts) == 0 {
		return "every port has a row above"
	}
	return strings.Join(parts, "; ")
}

// countWord spells "1 port", "65,519 ports".
func countWord(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return Thousands(n) + " " + word + "s"
}

func loggedWhere(all, logged portSet) string {
	switch logged.size() {
	case 0:
		return "not logged"
	case all.size():
		return "logged"
	}
	return "logged on " + logged.short(3) + " only"
}

// without is from-to less the ports of shown.
func without(from, to uint16, shown portSet) portSet {
	var out portSet
	next := int(max(from, 1))
	for _, r := range shown {
		if int(r[1]) < next || int(r[0]) > int(to) {
			continue
		}
		if int(r[0]) > next {
			out.add(uint16(next), r[0]-1)
		}
		next = int(r[1]) + 1
	}
	if next <= int(to) {
		out.add(uint16(next), to)
	}
	return out
}

// Thousands spells n with thousands separators: 65,519.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
