package rules

import (
	"maps"
	"slices"
)

// A prediction walks the whole destination port space at once. The walk
// starts with every port and splits where a rule tells ports apart: the
// walker keeps one part and spawns a walker for the rest, which takes the
// rule again from where they parted. Ports no rule tells apart share one
// walk, so a ruleset is walked about once, however many ports its rules
// name, instead of once per port class.
//
// The parts are always unions of whole port classes (classesOf), and a
// walker evaluates its rules with the first port of its set: every rule
// it meets treats its ports alike (narrow sees to that), so that port
// stands for them all, as a class's first port stands for the class.

// portSet is the destination ports a walk stands for.
type portSet struct {
	set     valueSet
	classes portClasses // every class of the prediction
	// multi is set while set spans more than one class.
	multi bool
	// rewritten is set once NAT gave the packet a port of its own: the
	// set then is only conntrack's original destination port.
	rewritten bool
	// spawned collects the walkers split off.
	spawned *[]*walker
}

// setPorts makes the walk stand for the ports s, its first port the
// packet's.
func (w *walker) setPorts(s valueSet) {
	w.ports.set = s
	w.ports.multi = !w.ports.oneClass(s)
	if !w.ports.rewritten {
		w.pkt.Dport = s[0].lo
		w.cache[FieldDport].valid = false
	}
	w.orig.dport = s[0].lo
	w.cache[FieldCtOrigDport].valid = false
}

// portClasses are the classes of a prediction, in order.
type portClasses []portClass

// index is the index of the class holding port.
func (cs portClasses) index(port uint16) int {
	i, _ := slices.BinarySearchFunc(cs, port, func(c portClass, p uint16) int { return int(c.To) - int(p) })
	return i
}

// of is the class holding port, as a set.
func (cs portClasses) of(port uint16) valueSet {
	c := cs[cs.index(port)]
	return valueSet{{c.From, c.To}}
}

// each calls f with the index of every class in s.
func (cs portClasses) each(s valueSet, f func(int)) {
	for _, sp := range s {
		for i := cs.index(sp.lo); i < len(cs) && cs[i].From <= sp.hi; i++ {
			f(i)
		}
	}
}

func (ps *portSet) oneClass(s valueSet) bool {
	return len(s) == 1 && s[0] == ps.classes.of(s[0].lo)[0]
}

// readsPorts reports whether f reads the walk's port set.
func (w *walker) readsPorts(f Field) bool {
	return f == FieldCtOrigDport || f == FieldDport && !w.ports.rewritten
}

// portDep is how a match's truth depends on the walk's ports.
type portDep uint8

const (
	portsNone  portDep = iota // alike for every port
	portsSplit                // holds on a set of ports
	portsPeel                 // cannot be told as a set: walk class by class
)

// narrow splits the walk until r treats all its ports alike: its matches,
// its verdict map's key, its NAT. False when r surely does not match.
// Decidable matches that read no port go first, so a rule another field
// rules out splits nothing.
func (w *walker) narrow(r *Rule) bool {
	if !w.rulePortReads(r) {
		return true
	}
	for i := range r.Matches {
		if m := &r.Matches[i]; !w.matchReadsPorts(m) && w.eval(m) == False {
			return false
		}
	}
	for i := range r.Matches {
		if m := &r.Matches[i]; w.ports.multi && w.matchReadsPorts(m) && !w.narrowMatch(m) {
			return false
		}
	}
	if w.ports.multi && r.VMap != nil && w.fieldsReadPorts(r.VMap.Fields) {
		w.narrowVMap(r.VMap)
	}
	switch {
	case !w.ports.multi:
	case r.VMap != nil && vmapNATs(r.VMap):
		w.peel() // which element is taken may rest on a fork not met yet
	default:
		w.narrowNAT(r.Verdict)
	}
	return true
}

// narrowMatch leaves the walk with ports m holds on, or ports it does not:
// false when m does not hold on the walk's ports.
func (w *walker) narrowMatch(m *Match) bool {
	holds, dep := w.portHolds(m.Fields, m.Elems, m.Mask != nil)
	switch dep {
	case portsPeel:
		w.peel()
		return true
	case portsNone:
		return true
	}
	if m.Negate {
		holds = holds.complement()
	}
	in := w.ports.set.intersect(holds)
	return len(in) > 0 && w.divide(in)
}

// narrowVMap leaves the walk with ports that all select one element, or
// none: each element in turn, the walk goes on with the ports that select
// it or with the others.
func (w *walker) narrowVMap(vm *VMap) {
	for _, e := range vm.Entries {
		holds, dep := w.portHolds(vm.Fields, []Elem{e.Elem}, false)
		switch dep {
		case portsPeel:
			w.peel()
			return
		case portsNone:
			return
		}
		if in := w.ports.set.intersect(holds); len(in) > 0 && w.divide(in) {
			return
		}
	}
}

// narrowNAT splits off the class a NAT's port starts: its packets keep
// their port, so the NAT may leave them unchanged.
func (w *walker) narrowNAT(v Verdict) {
	if !natVerdict(v) || w.ports.rewritten {
		return
	}
	if c := w.ports.classes.of(v.NAT.Port); c[0].lo == v.NAT.Port && w.ports.set.contains(c[0].lo) {
		w.divide(c)
	}
}

// peel keeps the walk's first class.
func (w *walker) peel() {
	w.keep(w.ports.classes.of(w.ports.set[0].lo))
}

// divide splits the walk's ports into part and the rest: the walker goes
// on with the larger side, taken out of its set in place, and a walker
// spawned takes the current rule again with the smaller. It reports
// whether the walker has part.
func (w *walker) divide(part valueSet) bool {
	if len(part) > len(w.ports.set)/2 {
		w.keep(part)
		return true
	}
	w.spawn(part)
	w.setPorts(w.ports.set.removeSubset(part))
	return false
}

// keep narrows the walk to in, a part of its ports, and spawns a walker
// for the rest.
func (w *walker) keep(in valueSet) {
	if rest := w.ports.set.minus(in); len(rest) > 0 {
		w.spawn(rest)
		w.setPorts(in)
	}
}

// spawn starts a walker for ports, a part of the walk's, that takes the
// current rule again.
func (w *walker) spawn(ports valueSet) {
	c := w.clone()
	c.at.next-- // the rule being matched
	c.resumed = true
	c.setPorts(ports)
	*w.ports.spawned = append(*w.ports.spawned, c)
}

// clone copies the walker, deep where the two walks go on to differ.
func (w *walker) clone() *walker {
	c := new(walker)
	*c = *w
	c.taken, c.met = slices.Clone(w.taken), slices.Clone(w.met)
	c.recent = maps.Clone(w.recent)
	c.stack = slices.Clone(w.stack)
	c.out.Logs = slices.Clone(w.out.Logs)
	return c
}

// portHolds is the set of ports for which an element of elems holds, the
// other fields taking the packet's values. portsNone when the ports make
// no difference (another field is unknown or missing: the match is
// undecided or false for all); portsPeel when it cannot be told as a set.
func (w *walker) portHolds(fields []Field, elems []Elem, masked bool) (valueSet, portDep) {
	at := -1
	for i, f := range fields {
		if w.readsPorts(f) {
			if at >= 0 || masked {
				return nil, portsPeel
			}
			at = i
		}
		if j, free := freeOf(f); free && w.free[j].on {
			return nil, portsPeel
		}
	}
	holds, ok, unknown := w.valuesAt(fields, elems, at)
	if unknown || !ok {
		return nil, portsNone
	}
	return holds, portsSplit
}

func (w *walker) rulePortReads(r *Rule) bool {
	for i := range r.Matches {
		if w.matchReadsPorts(&r.Matches[i]) {
			return true
		}
	}
	return r.VMap != nil && (w.fieldsReadPorts(r.VMap.Fields) || vmapNATs(r.VMap)) || natVerdict(r.Verdict)
}

func vmapNATs(vm *VMap) bool {
	return slices.ContainsFunc(vm.Entries, func(e VMapEntry) bool { return natVerdict(e.Verdict) })
}

func natVerdict(v Verdict) bool {
	return (v.Kind == DNAT || v.Kind == Redirect || v.Kind == Tproxy) && v.NAT != nil && v.NAT.Port != 0
}

func (w *walker) matchReadsPorts(m *Match) bool { return w.fieldsReadPorts(m.Fields) }

func (w *walker) fieldsReadPorts(fields []Field) bool {
	return slices.ContainsFunc(fields, w.readsPorts)
}
