package report

import (
	"fmt"
	"slices"
	"sort"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/rules"
)

// join holds what the audit joins, indexed for the per-port questions.
type join struct {
	in    Input
	sets  []PredictionSet
	socks []sockets.Socket
	// vantages pairs each vantage with the predictions for its own
	// packets, and its results by port.
	vantages []vantageData
	notes    []string // what the join found about its inputs
}

type vantageData struct {
	Vantage
	sets    []PredictionSet
	results map[portKey]probe.Result
}

type portKey struct {
	proto string
	port  uint16
}

func newJoin(in Input) *join {
	j := &join{in: in}
	if in.Listeners != nil {
		j.socks = in.Listeners.Sockets
	}
	switch {
	case in.Sets != nil:
		j.sets = in.Sets
	case in.Ruleset != nil && in.Setting != nil:
		j.sets = PredictAll(in.Ruleset, in.Setting.Env, in.Setting.Queries)
	}
	for _, v := range in.Vantages {
		j.vantages = append(j.vantages, j.vantageData(v))
	}
	return j
}

// vantageData predicts what the vantage's own packets meet: from its
// source to its target, arriving on its interface. A weak vantage's
// packets (the local one's, which the host sends itself) take a path the
// evaluator does not follow: output, then lo, never prerouting. They are
// shown, never compared with the rules.
func (j *join) vantageData(v Vantage) vantageData {
	d := vantageData{Vantage: v, results: map[portKey]probe.Result{}}
	if v.Report == nil {
		return d
	}
	for _, r := range v.Report.Results {
		d.results[portKey{r.Proto, r.Port}] = r
	}
	if v.Weak || j.in.Ruleset == nil || j.in.Setting == nil || v.Iface == "" || !v.Report.Source.IsValid() {
		return d
	}
	f := v.family()
	if !j.in.Ruleset.Describes(f) {
		return d
	}
	var qs []rules.Query
	for _, s := range v.Report.Scans {
		proto, _ := rules.ParseProto(s.Proto)
		qs = append(qs, rules.Query{Family: f, Proto: proto, Src: v.Report.Source, Dst: v.Report.Target, InIface: v.Iface})
	}
	sets := PredictAll(j.in.Ruleset, j.in.Setting.Env, qs)
	if apart := j.sourcesApart(sets, v.Report.Sources); apart != "" {
		j.notes = append(j.notes, fmt.Sprintf("the %s probe came from %d addresses that the rules treat apart (%s): its results are shown but not compared with the rules", v.Name, len(v.Report.Sources), apart))
		return d
	}
	d.sets = sets
	return d
}

// protocols are the protocols predicted or probed, tcp first.
func (j *join) protocols() []string {
	var out []string
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, s := range j.sets {
		add(rules.ProtoName(s.Query.Proto))
	}
	for _, v := range j.vantages {
		if v.Report != nil {
			for _, s := range v.Report.Scans {
				add(s.Proto)
			}
		}
	}
	slices.Sort(out) // "tcp" < "udp"
	return out
}

// segments splits ports 1-65535 of proto where any prediction changes,
// and around every listening port and every port a vantage saw open.
func (j *join) segments(proto string) [][2]uint16 {
	cuts := map[int]bool{1: true, 65536: true}
	for _, s := range j.setsOf(proto) {
		for _, p := range s.Predictions {
			cuts[int(p.From)], cuts[int(p.To)+1] = true, true
		}
	}
	for _, port := range j.notablePorts(proto) {
		cuts[int(port)], cuts[int(port)+1] = true, true
	}
	var at []int
	for c := range cuts {
		if c >= 1 && c <= 65536 {
			at = append(at, c)
		}
	}
	sort.Ints(at)
	var out [][2]uint16
	for i := 0; i+1 < len(at); i++ {
		out = append(out, [2]uint16{uint16(at[i]), uint16(at[i+1] - 1)})
	}
	return out
}

// notablePorts are the listening ports of proto and the ports a vantage
// saw open.
func (j *join) notablePorts(proto string) []uint16 {
	var out []uint16
	for _, s := range j.socks {
		if s.Proto == proto {
			out = append(out, s.Port)
		}
	}
	for _, v := range j.vantages {
		for k, r := range v.results {
			if k.proto == proto && r.State == probe.Open {
				out = append(out, k.port)
			}
		}
	}
	return out
}

func (j *join) setsOf(proto string) []PredictionSet {
	var out []PredictionSet
	for _, s := range j.sets {
		if rules.ProtoName(s.Query.Proto) == proto {
			out = append(out, s)
		}
	}
	return out
}

// predictionAt is the prediction of s that holds port.
func predictionAt(s PredictionSet, port uint16) (rules.PortPrediction, bool) {
	i := sort.Search(len(s.Predictions), func(i int) bool { return s.Predictions[i].To >= port })
	if i == len(s.Predictions) || s.Predictions[i].From > port {
		return rules.PortPrediction{}, false
	}
	return s.Predictions[i], true
}

// sockets are the sockets of proto on port.
func (j *join) socketsOn(proto string, port uint16) []sockets.Socket {
	var out []sockets.Socket
	for _, s := range j.socks {
		if s.Proto == proto && s.Port == port {
			out = append(out, s)
		}
	}
	return out
}

// listening is whether a socket answers q's packets on a port: one of
// q's protocol, serving q's family, bound to q's destination or to every
// address, and to q's interface or to none.
func (j *join) listening(q rules.Query) func(uint16) bool {
	proto := rules.ProtoName(q.Proto)
	return func(port uint16) bool {
		return slices.ContainsFunc(j.socketsOn(proto, port), func(s sockets.Socket) bool { return answers(s, q) })
	}
}

func answers(s sockets.Socket, q rules.Query) bool {
	return slices.Contains(s.Serves, string(q.Family)) && (s.Addr.IsUnspecified() || s.Addr.Unmap() == q.Dst) &&
		(s.Iface == "" || s.Iface == q.InIface)
}
