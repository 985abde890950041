package report

import (
	"fmt"
	"strings"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

// rest sums up, per protocol and family, the ports without a row: how
// many a prober sees in each state, and where they are logged. Lines that
// read the same for both families are said once.
func (j *join) rest() []string {
	out := []string{}
	shown := j.shownPorts()
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
func (j *join) shownPorts() map[string]portSet {
	out := map[string]portSet{}
	for _, r := range j.rows() {
		ps := out[r.Protocol]
		ps.add(r.FromPort, r.ToPort)
		out[r.Protocol] = ps
	}
	return out
}

// restLine is what the first origin of a family sees of the ports not
// shown: "65,519 ports stealth, logged on 1-1023 only".
func restLine(s PredictionSet, shown portSet) string {
	type group struct{ all, logged portSet }
	groups := map[probe.State]*group{}
	nobody := func(uint16) bool { return false }
	for _, p := range s.Predictions {
		st, _ := Expect(p.Result, s.Query.Proto, p.From, nobody, s.Neighbor)
		if groups[st] == nil {
			groups[st] = &group{}
		}
		for _, r := range without(p.From, p.To, shown) {
			groups[st].all.add(r[0], r[1])
			if p.Result.Logged() {
				groups[st].logged.add(r[0], r[1])
			}
		}
	}
	var parts []string
	for _, st := range probe.States {
		g := groups[st]
		if g == nil || g.all.size() == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s ports %s, %s", thousands(g.all.size()), st, loggedWhere(g.all, g.logged)))
	}
	if len(parts) == 0 {
		return "every port has a row above"
	}
	return strings.Join(parts, "; ")
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

// thousands spells n with thousands separators: 65,519.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
