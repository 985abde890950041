package rules

import (
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
)

// Query fixes everything about a packet from outside but its destination
// port.
type Query struct {
	Family   Family
	Proto    uint8
	InIface  string
	Src, Dst netip.Addr
	Sport    uint16 // 0: any source port
}

// PortPrediction is the shared outcome of the ports From..To.
type PortPrediction struct {
	From, To uint16
	Result   Result
}

// Predict maps all 65,536 destination ports of q into ranges that share
// one outcome. The port boundaries the rules mention split the port space
// into classes that every rule treats alike; the walk covers them all at
// once (portset.go), and neighbouring classes that agree are merged.
func (rs *Ruleset) Predict(env *Env, q Query) []PortPrediction {
	out, _ := rs.PredictContext(context.Background(), env, q)
	return out
}

// PredictContext is Predict, given up with ctx's error once ctx is done.
func (rs *Ruleset) PredictContext(ctx context.Context, env *Env, q Query) ([]PortPrediction, error) {
	hc := rs.hookChains(q.Family)
	hc.ctx = ctx
	p := Packet{Family: q.Family, Proto: q.Proto, Src: q.Src, Dst: q.Dst, Sport: q.Sport, InIface: q.InIface}
	classes := classesOf(rs.cuts(q.Family, FieldDport, FieldCtOrigDport))
	results, err := hc.evaluatePorts(p, env, classes)
	if err != nil {
		return nil, err
	}
	var out []PortPrediction
	for i, res := range results {
		if err := hc.errEvery(i); err != nil {
			return nil, err
		}
		c := classes[i]
		if n := len(out); n > 0 && out[n-1].Result.signature() == res.signature() {
			out[n-1].To = c.To
			continue
		}
		out = append(out, PortPrediction{From: c.From, To: c.To, Result: res})
	}
	return out, nil
}

// portClass is a range of ports no rule tells apart.
type portClass struct{ From, To uint16 }

// cuts collects the boundaries of two-byte fields (ports) that a rule,
// set or verdict map of a table that sees f mentions: the first value of
// every range, and the one after its last.
func (rs *Ruleset) cuts(f Family, fields ...Field) []int {
	cuts := []int{0}
	rs.eachRule(f, func(r *Rule) { cuts = ruleCuts(r, fields, cuts) })
	return cuts
}

// eachRule calls fn with every rule of a table that sees family f, netdev
// tables included.
func (rs *Ruleset) eachRule(f Family, fn func(*Rule)) {
	for _, t := range rs.Tables {
		if !t.Family.Sees(f) && t.Family != FamilyNetdev {
			continue
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				fn(r)
			}
		}
	}
}

// classesOf splits 0..65535 at the cuts.
func classesOf(cuts []int) portClasses {
	starts := slices.DeleteFunc(cuts, func(s int) bool { return s > 0xffff })
	slices.Sort(starts)
	starts = slices.Compact(starts)
	classes := make(portClasses, len(starts))
	for i, s := range starts {
		end := 0xffff
		if i+1 < len(starts) {
			end = starts[i+1] - 1
		}
		classes[i] = portClass{uint16(s), uint16(end)}
	}
	return classes
}

func ruleCuts(r *Rule, fields []Field, cuts []int) []int {
	for _, m := range r.Matches {
		cuts = elemCuts(m.Fields, m.Elems, fields, cuts)
	}
	if r.VMap != nil {
		for _, e := range r.VMap.Entries {
			cuts = elemCuts(r.VMap.Fields, []Elem{e.Elem}, fields, cuts)
		}
	}
	return cuts
}

func elemCuts(keyFields []Field, elems []Elem, fields []Field, cuts []int) []int {
	for i, f := range keyFields {
		if !slices.Contains(fields, f) {
			continue
		}
		for _, e := range elems {
			if i < len(e) && len(e[i].Lo) == 2 && len(e[i].Hi) == 2 {
				cuts = append(cuts, int(binary.BigEndian.Uint16(e[i].Lo)), int(binary.BigEndian.Uint16(e[i].Hi))+1)
			}
		}
	}
	return cuts
}
