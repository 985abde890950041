package report

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

// probed is what the vantage saw of the probed ports of proto in seg,
// each checked against the prediction for the vantage's own packets.
func (v vantageData) probed(proto string, seg [2]uint16) (RowProbe, bool) {
	rp := RowProbe{Vantage: v.Name, Family: v.family(), Weak: v.Weak, Counts: map[probe.State]int{}}
	set, hasSet := v.setOf(proto)
	agrees := true
	for port := int(seg[0]); port <= int(seg[1]); port++ {
		r, ok := v.results[portKey{proto, uint16(port)}]
		if !ok {
			continue
		}
		if rp.Ports == 0 {
			rp.State, rp.Reason = r.State, r.Reason
		}
		rp.Ports++
		rp.Counts[r.State]++
		if !hasSet {
			continue
		}
		if m, checked := v.check(set, r); checked {
			rp.Expected = m.Expected
			if m.Seen != m.Expected {
				agrees = false
				rp.Mismatches = append(rp.Mismatches, m)
			}
		}
	}
	if rp.Expected != "" {
		rp.Agrees = &agrees
	}
	return rp, rp.Ports > 0
}

func (v vantageData) setOf(proto string) (PredictionSet, bool) {
	for _, s := range v.sets {
		if rules.ProtoName(s.Query.Proto) == proto {
			return s, true
		}
	}
	return PredictionSet{}, false
}

// check compares a probed port with the prediction for the vantage's
// packets. The probe saw the port's real listeners, so a port the rules
// accept is open or closed, whichever the probe saw; a state the rules
// rule out is a mismatch. checked is false when the prediction is not
// certain.
func (v vantageData) check(s PredictionSet, r probe.Result) (Mismatch, bool) {
	p, ok := predictionAt(s, r.Port)
	if !ok || r.State == probe.Unknown {
		return Mismatch{}, false
	}
	proto := s.Query.Proto
	with, c1 := Expect(p.Result, proto, r.Port, func(uint16) bool { return true }, s.Neighbor)
	without, c2 := Expect(p.Result, proto, r.Port, func(uint16) bool { return false }, s.Neighbor)
	if !c1 || !c2 {
		return Mismatch{}, false
	}
	m := Mismatch{Port: r.Port, Expected: with, Seen: r.State, Rule: p.Result.Default().Decider}
	if r.State == without {
		m.Expected = without
	}
	if r.State == probe.Stealth && proto == rules.ProtoUDP && with == probe.Open {
		m.Expected = probe.Stealth // a silent UDP service: open|filtered
	}
	return m, true
}
