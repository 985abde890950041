package rules

import (
	"slices"
	"strings"
)

// portTask is a walk still to make: of the ports, under the assumptions.
type portTask struct {
	assume map[string]bool
	ports  valueSet
}

// evaluatePorts is, for every class, what evaluate gives its first port.
// Each combination of undecided matches is walked once for all the ports
// it concerns, in the order evaluate would follow it for each of them.
func (hc *hookChains) evaluatePorts(p Packet, env *Env, classes portClasses) ([]Result, error) {
	results := make([]Result, len(classes))
	queue := hc.firstTasks(p, classes)
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		ports := admit(t.ports, classes, results)
		if len(ports) == 0 {
			continue
		}
		ends, err := hc.walkPorts(p, env, t.assume, ports, classes)
		if err != nil {
			return nil, err
		}
		record(ends, classes, results)
		queue = append(queue, nextTasks(ends, t.assume)...)
	}
	memo := hc.newReplyMemo()
	for i := range results {
		if err := hc.errEvery(i); err != nil {
			return nil, err
		}
		pc := p
		pc.Dport = classes[i].From
		for j := range results[i].Outcomes {
			memo.replies(&results[i].Outcomes[j], pc, env)
		}
		results[i].Undecided = results[i].undecided()
	}
	return results, nil
}

// firstTasks walks all ports at once; a packet without ports has no port
// to tell apart, and is walked class by class.
func (hc *hookChains) firstTasks(p Packet, classes portClasses) []portTask {
	if p.hasPorts() {
		return []portTask{{assume: map[string]bool{}, ports: valueSet{{0, 0xffff}}}} // a walk's own: it changes in place
	}
	var out []portTask
	for _, c := range classes {
		out = append(out, portTask{assume: map[string]bool{}, ports: valueSet{{c.From, c.To}}})
	}
	return out
}

// admit drops the classes that already have all the outcomes a result
// holds, marking their results truncated.
func admit(ports valueSet, classes portClasses, results []Result) valueSet {
	var spans []span
	classes.each(ports, func(i int) {
		if len(results[i].Outcomes) == maxRuns {
			results[i].Truncated = true
			return
		}
		spans = append(spans, span{classes[i].From, classes[i].To})
	})
	return normalize(spans)
}

// walkPorts walks ports under assume, splitting where rules tell them
// apart; it returns the finished walkers, whose ports partition ports.
func (hc *hookChains) walkPorts(p Packet, env *Env, assume map[string]bool, ports valueSet, classes portClasses) ([]*walker, error) {
	var pending, ends []*walker
	w := new(walker)
	w.reset(hc, p, env, assume)
	w.ports = portSet{classes: classes, spawned: &pending}
	w.setPorts(ports)
	for {
		w.runIn()
		if err := hc.err(); err != nil {
			return nil, err // the walk may have been given up half-way
		}
		ends = append(ends, w)
		if len(pending) == 0 {
			return ends, nil
		}
		w, pending = pending[len(pending)-1], pending[:len(pending)-1]
	}
}

// record adds each walk's outcome to the results of its classes.
func record(ends []*walker, classes portClasses, results []Result) {
	for _, w := range ends {
		classes.each(w.ports.set, func(i int) {
			o := w.out
			if !w.ports.rewritten {
				o.Dport = classes[i].From
			}
			results[i].Outcomes = append(results[i].Outcomes, o)
		})
	}
}

// nextTasks are the walks the finished ones call for, each the other side
// of a fork: walks with the same forks are made once for all their ports.
func nextTasks(ends []*walker, assume map[string]bool) []portTask {
	type group struct {
		branches []map[string]bool
		spans    []span
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, w := range ends {
		bs := w.branches(assume)
		if len(bs) == 0 {
			continue
		}
		k := branchesKey(bs)
		g := byKey[k]
		if g == nil {
			g = &group{branches: bs}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.spans = append(g.spans, w.ports.set...)
	}
	var out []portTask
	for _, g := range groups {
		ports := normalize(g.spans)
		for _, b := range g.branches {
			out = append(out, portTask{assume: b, ports: ports})
		}
	}
	return out
}

// branchesKey spells a list of assumption sets, each sorted.
func branchesKey(bs []map[string]bool) string {
	var b strings.Builder
	for _, m := range bs {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString(k)
			if m[k] {
				b.WriteString("\x00+\x00")
			} else {
				b.WriteString("\x00-\x00")
			}
		}
		b.WriteString("\x01")
	}
	return b.String()
}
