package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

// portSet is a list of port ranges, in order.
type portSet [][2]uint16

func (ps *portSet) add(from, to uint16) {
	from = max(from, 1) // port 0 is no port a prober can use
	if from > to {
		return
	}
	if n := len(*ps); n > 0 && int((*ps)[n-1][1])+1 == int(from) {
		(*ps)[n-1][1] = to
		return
	}
	*ps = append(*ps, [2]uint16{from, to})
}

func (ps portSet) contains(port uint16) bool {
	for _, r := range ps {
		if r[0] <= port && port <= r[1] {
			return true
		}
	}
	return false
}

func (ps portSet) size() int {
	n := 0
	for _, r := range ps {
		n += int(r[1]) - int(r[0]) + 1
	}
	return n
}

func (ps portSet) String() string {
	parts := make([]string, len(ps))
	for i, r := range ps {
		parts[i] = portRange(r[0], r[1])
	}
	return joinComma(parts)
}

// short spells at most n ranges, then how many more.
func (ps portSet) short(n int) string {
	if len(ps) <= n {
		return ps.String()
	}
	return portSet(ps[:n]).String() + fmt.Sprintf(" and %d more ranges", len(ps)-n)
}

// countPorts spells "1 tcp port", "65,535 udp ports".
func countPorts(n int, proto string) string { return countWord(n, proto+" port") }

// quietDrops: per origin, the ports dropped or rejected with no log,
// those where the host answers though nothing listens, and the sender's
// choices that lead to an unlogged drop.
func (j *join) quietDrops(fs *findings, _ []Row) {
	for _, s := range j.sets {
		var drops, rejects, answered portSet
		choices := map[string]*portSet{}
		var choiceOrder []string
		listening := j.listeningPorts(s.Query)
		for _, p := range s.Predictions {
			o := p.Result.Default()
			switch {
			case !p.Result.Decided():
			case o.Verdict.Kind == rules.Drop && len(o.Logs) == 0:
				drops.add(p.From, p.To)
			case o.Verdict.Kind == rules.Reject && len(o.Logs) == 0:
				rejects.add(p.From, p.To)
			}
			answered = addAnswered(answered, s, p, listening)
			for _, c := range unloggedChoices(p.Result) {
				if choices[c] == nil {
					choices[c], choiceOrder = &portSet{}, append(choiceOrder, c)
				}
				choices[c].add(p.From, p.To)
			}
		}
		q := s.Query
		proto := rules.ProtoName(q.Proto)
		ev := func(ports portSet) Evidence {
			return Evidence{Protocol: proto, Ports: ports.String(), Families: []rules.Family{q.Family}, Ifaces: []string{q.InIface}}
		}
		if len(drops) > 0 {
			fs.add("unlogged-drop", Medium, fmt.Sprintf("%s dropped without a log: %s", countPorts(drops.size(), proto), drops.short(4)), ev(drops))
		}
		if len(rejects) > 0 {
			fs.add("unlogged-reject", Low, fmt.Sprintf("%s rejected without a log: %s", countPorts(rejects.size(), proto), rejects.short(4)), ev(rejects))
		}
		for _, c := range choiceOrder {
			ps := *choices[c]
			fs.add("unlogged-drop", Low, fmt.Sprintf("%s dropped without a log %s: %s", countPorts(ps.size(), proto), c, ps.short(4)), ev(ps))
		}
		if len(answered) > 0 {
			fs.add("closed-not-stealth", Low, fmt.Sprintf("%s answer though nothing listens (reset or ICMP error): %s", countPorts(answered.size(), proto), answered.short(4)), ev(answered))
		}
	}
}

// addAnswered adds the ports of p where the host refuses a probe aloud
// although nothing listens there; the listening ports answer open and are
// left out.
func addAnswered(ps portSet, s PredictionSet, p rules.PortPrediction, listening []int) portSet {
	nobody := func(uint16) bool { return false }
	st, certain := Expect(p.Result, s.Query.Proto, p.From, nobody, s.Neighbor)
	if !certain || p.Result.Default().Forwarded || (st != probe.Closed && st != probe.Rejected) {
		return ps // a forwarded port's listener is on another host
	}
	from := int(p.From)
	for _, port := range listening {
		if port >= from && port <= int(p.To) {
			ps.add(uint16(from), uint16(port-1))
			from = port + 1
		}
	}
	if from <= int(p.To) {
		ps.add(uint16(from), p.To)
	}
	return ps
}

// listeningPorts are the ports, in order, on which a socket answers q.
func (j *join) listeningPorts(q rules.Query) []int {
	listening := j.listening(q)
	var out []int
	for _, s := range j.socks {
		if s.Proto == rules.ProtoName(q.Proto) && listening(s.Port) && !slices.Contains(out, int(s.Port)) {
			out = append(out, int(s.Port))
		}
	}
	slices.Sort(out)
	return out
}

// unloggedChoices names the sender's choices under which the ports are
// dropped without a log though the default probe is not.
func unloggedChoices(res rules.Result) []string {
	if res.Default().Verdict.Kind == rules.Drop {
		return nil
	}
	var out []string
	for _, o := range res.Outcomes[1:] {
		if c := o.Conditions(); len(c) > 0 && len(o.Unknowns()) == 0 && o.Verdict.Kind == rules.Drop && len(o.Logs) == 0 {
			out = append(out, "if "+strings.Join(c, " and "))
		}
	}
	return out
}

// acceptedBy says what accepts the ports no rule names.
func acceptedBy(o rules.Origin) string {
	switch {
	case o.Chain == "" && o.Position == 0:
		return o.String() // "no rules"
	case o.Position == 0:
		return "by the " + o.String()
	}
	return "by " + o.String()
}

// defaultAccepts: most ports of an origin are accepted on the input path.
func (j *join) defaultAccepts(fs *findings, _ []Row) {
	for _, s := range j.sets {
		p, ok := widest(s.Predictions)
		o := p.Result.Default()
		if !ok || o.Verdict.Kind != rules.Accept || o.Forwarded || int(p.To)-int(p.From) < 32768 {
			continue
		}
		q := s.Query
		fs.add("default-accept", High, fmt.Sprintf("%s ports that no rule names are accepted (%s)", rules.ProtoName(q.Proto), acceptedBy(o.Decider)),
			Evidence{Protocol: rules.ProtoName(q.Proto), Ports: portRange(max(p.From, 1), p.To), Families: []rules.Family{q.Family},
				Ifaces: []string{q.InIface}, Rules: ruleList(o.Decider)})
	}
}
