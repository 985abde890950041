package report

import (
	"fmt"
	"net/netip"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

// seenPair is what a prober sees on a port with a listener and without.
type seenPair struct{ listening, not probe.State }

// sourcesApart tells where the rules treat the sources of a probe from
// several addresses apart: the first port whose expected state from one
// of them differs from the first source's (sets, predicted from it), in
// words; "" when they agree. Such a probe's port states depend on which
// source settled each port, so it is not compared with the rules.
func (j *join) sourcesApart(sets []PredictionSet, srcs []netip.Addr) string {
	if len(srcs) < 2 {
		return ""
	}
	for _, set := range sets {
		first := seenByPort(set)
		for _, src := range srcs[1:] {
			q := set.Query
			q.Src = src
			other := seenByPort(PredictAll(j.in.Ruleset, j.in.Setting.Env, []rules.Query{q})[0])
			for port := 1; port < len(first); port++ {
				if a, b := first[port], other[port]; a != b {
					return fmt.Sprintf("%s %d: %s from %s, %s from %s (without a listener: %s, %s)",
						rules.ProtoName(q.Proto), port, a.listening, set.Query.Src, b.listening, src, a.not, b.not)
				}
			}
		}
	}
	return ""
}

// seenByPort is what a prober sees on every port, as set predicts.
func seenByPort(set PredictionSet) []seenPair {
	out := make([]seenPair, 65536)
	for _, p := range set.Predictions {
		w, wo := seen(func(listening func(uint16) bool) (probe.State, bool) {
			return Expected(p.Result, set.Query.Proto, p.From, listening)
		})
		for port := int(p.From); port <= int(p.To); port++ {
			out[port] = seenPair{w, wo}
		}
	}
	return out
}
