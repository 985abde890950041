package report

import (
	"fmt"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

// seenPair is what a prober sees on a port with a listener and without.
type seenPair struct{ listening, not probe.State }

// sourcesApart tells where the rules treat the sources of a probe from
// several addresses apart: the first port whose expected state from one
// of them differs from the first's, in words; "" when they agree. Such a
// probe's port states depend on which source settled each port, so it is
// not compared with the rules.
func (j *join) sourcesApart(v Vantage, f rules.Family) string {
	srcs := v.Report.Sources
	if len(srcs) < 2 {
		return ""
	}
	for _, s := range v.Report.Scans {
		proto, _ := rules.ParseProto(s.Proto)
		query := func(i int) rules.Query {
			return rules.Query{Family: f, Proto: proto, Src: srcs[i], Dst: v.Report.Target, InIface: v.Iface}
		}
		first := j.seenByPort(query(0))
		for i := 1; i < len(srcs); i++ {
			other := j.seenByPort(query(i))
			for port := 1; port < len(first); port++ {
				if a, b := first[port], other[port]; a != b {
					return fmt.Sprintf("%s %d: %s from %s, %s from %s (without a listener: %s, %s)",
						s.Proto, port, a.listening, srcs[0], b.listening, srcs[i], a.not, b.not)
				}
			}
		}
	}
	return ""
}

// seenByPort is what a prober sees on every port when its packets are q.
func (j *join) seenByPort(q rules.Query) []seenPair {
	out := make([]seenPair, 65536)
	for _, p := range PredictAll(j.in.Ruleset, j.in.Setting.Env, []rules.Query{q})[0].Predictions {
		w, wo := seen(func(listening func(uint16) bool) (probe.State, bool) {
			return Expected(p.Result, q.Proto, p.From, listening)
		})
		for port := int(p.From); port <= int(p.To); port++ {
			out[port] = seenPair{w, wo}
		}
	}
	return out
}
