package rules

import "fmt"

// The sender picks some fields of its packet: the source port and the
// length. The default probe has one value of each; where the rules tell
// values apart, the walk forks on the set of values each side stands for,
// so the outcomes partition what a sender can pick ("from source port 53"
// is an outcome of its own) and no combination is impossible.

// Free fields, by index.
const (
	freeSport = iota
	freeLength
	numFree
)

// freeOf is the free field a field reads, if any: conntrack's original
// source port is the packet's own.
func freeOf(f Field) (int, bool) {
	switch f {
	case FieldSport, FieldCtOrigSport:
		return freeSport, true
	case FieldLength:
		return freeLength, true
	}
	return 0, false
}

var freeWords = [numFree]string{"source port", "length"}

// freeValue is what a walk knows of one free field.
type freeValue struct {
	on  bool     // the sender picks it
	set valueSet // the values the walk still stands for
	rep uint16   // the default probe's value
}

// value is the one value the walk stands for: the default probe's if the
// walk still allows it, else the first it allows; fixed when not free.
func (v *freeValue) value(fixed uint16) uint16 {
	if !v.on {
		return fixed
	}
	return v.set.pick(v.rep)
}

// Ephemeral ports Linux picks from by default
// (net.ipv4.ip_local_port_range).
const (
	EphemeralFirst = 32768
	EphemeralLast  = 60999
)

func (w *walker) initFree() {
	p := &w.pkt
	if p.fixed {
		return
	}
	if p.Sport == 0 && p.hasPorts() {
		w.free[freeSport] = freeValue{on: true, set: allValues, rep: w.hc.defaultSport()}
	}
	if p.Length == 0 {
		w.free[freeLength] = freeValue{on: true, set: allValues, rep: defaultLength(p)}
	}
}

// defaultLength is the default probe's IP length: a SYN with the options
// Linux's connect() sends (MSS, SACK, timestamps, window scale), or a UDP
// datagram of 24 bytes, as perimeter's sandbox sends.
func defaultLength(p *Packet) uint16 {
	ip := uint16(20)
	if p.Family == FamilyIPv6 {
		ip = 40
	}
	switch p.Proto {
	case ProtoTCP:
		return ip + 40
	case ProtoUDP, ProtoUDPLite:
		return ip + 8 + 24
	}
	return ip + 8
}

// freeIndex returns the index in fields of the one free field the walk
// follows, and which free field it is; ok is false when fields read none.
func (w *walker) freeIndex(fields []Field) (at, which int, ok bool) {
	if !w.free[freeSport].on && !w.free[freeLength].on {
		return 0, 0, false
	}
	at = -1
	for i, f := range fields {
		j, free := freeOf(f)
		if !free || !w.free[j].on {
			continue
		}
		if at >= 0 {
			return 0, 0, false // two free fields in one key: not followed
		}
		at, which = i, j
	}
	return at, which, at >= 0
}

// evalFree decides a match on a free field from the values the walk
// stands for: True or False when they all agree, Unknown when the match
// splits them (settleFree then forks). ok is false for a match that reads
// no free field.
func (w *walker) evalFree(m *Match) (t Tri, ok bool) {
	at, which, ok := w.freeIndex(m.Fields)
	if !ok {
		return 0, false
	}
	holds, exact := w.freeHolds(m, at)
	if !exact {
		return Unknown, true
	}
	fv := &w.free[which]
	switch in := fv.set.intersect(holds); {
	case len(in) == 0:
		return False, true
	case len(fv.set.minus(holds)) == 0:
		return True, true
	}
	return Unknown, true
}

// freeHolds is the set of values of the free field at index at for which
// m holds, the other fields taking the packet's values; exact is false
// when that cannot be told (a mask, an unknown key).
func (w *walker) freeHolds(m *Match, at int) (holds valueSet, exact bool) {
	if m.Mask != nil {
		return nil, false
	}
	holds, _, unknown := w.valuesAt(m.Fields, m.Elems, at)
	if unknown {
		return nil, false
	}
	if m.Negate {
		holds = holds.complement()
	}
	return holds, true
}

// valuesAt is the set of values of the two-byte field at index at for
// which an element of elems holds, the other fields taking the packet's
// values; ok and unknown are the other fields' (empty when one does not
// apply to the packet).
func (w *walker) valuesAt(fields []Field, elems []Elem, at int) (values valueSet, ok, unknown bool) {
	keys, ok, unknown := w.keys(slicesWithout(fields, at))
	if unknown || !ok {
		return nil, ok, unknown
	}
	var ivs []Interval
	for _, e := range elems {
		if len(e) == len(fields) && (len(e) == 1 || elemContains(slicesWithout(e, at), keys)) {
			ivs = append(ivs, e[at])
		}
	}
	return setOfIntervals(ivs), true, false
}

func slicesWithout[T any](s []T, i int) []T {
	out := make([]T, 0, len(s)-1)
	out = append(out, s[:i]...)
	return append(out, s[i+1:]...)
}

// settleFree forks on a match that splits the free field's values: each
// side narrows them. The first walk takes the side the default probe's
// value lies on (or, off the default, the first value left).
func (w *walker) settleFree(m *Match) bool {
	at, which, _ := w.freeIndex(m.Fields)
	holds, exact := w.freeHolds(m, at)
	fv := &w.free[which]
	if !exact {
		return w.decide(w.freeFallback(m, which))
	}
	in, out := fv.set.intersect(holds), fv.set.minus(holds)
	d := decision{key: m.Text, kind: ChoiceCondition, dflt: in.contains(fv.set.pick(fv.rep)), free: true}
	if w.decide(d) {
		fv.set = in
		w.changed()
		return true
	}
	fv.set = out
	w.changed()
	return false
}

// freeFallback is the fork of a free-field match whose sides cannot be
// told as sets: a plain choice, its default what the default probe's
// value makes it (the walk's key stands for that value), or an unknown
// when another field it reads is unknown.
func (w *walker) freeFallback(m *Match, which int) decision {
	keys, ok, unknown := w.keys(m.Fields)
	if unknown {
		return unknownDecision(m.Text)
	}
	dflt := ok && m.contains(keys) != m.Negate
	return choiceDecision(m.Text, dflt, fmt.Sprintf("with a %s that makes %q hold the other way", freeWords[which], m.Text))
}

// freeKey is a free field's key: the one value the walk stands for.
func (w *walker) freeKey(which int, fixed uint16) []byte {
	return U16(w.free[which].value(fixed))
}

// freeAssumptions state the values of the free fields a walk stands for,
// where rules told them apart: the default probe's side does not depart.
func (w *walker) freeAssumptions() []Assumption {
	var out []Assumption
	for i, fv := range w.free {
		if !fv.on || fv.set.isAll() {
			continue
		}
		a := Assumption{Match: freeWords[i] + " " + fv.set.String(), Holds: true, Kind: ChoiceCondition,
			Default: fv.set.contains(fv.rep)}
		if a.Departs() {
			a.If = fmt.Sprintf("from %s %s", freeWords[i], fv.set)
			if i == freeLength {
				a.If = fmt.Sprintf("with a packet length of %s bytes", fv.set)
			}
		}
		out = append(out, a)
	}
	return out
}

// defaultSport is the default probe's source port for family f: in the
// ephemeral range, inside the widest run of it that no rule's source-port
// boundary splits.
func (rs *Ruleset) defaultSport(f Family) uint16 {
	cuts := rs.cuts(f, FieldSport)
	best, bestLen := uint16(0), -1
	for _, c := range classesOf(cuts) {
		lo, hi := max(int(c.From), EphemeralFirst), min(int(c.To), EphemeralLast)
		if hi-lo > bestLen {
			best, bestLen = uint16((lo+hi)/2), hi-lo
		}
	}
	return best
}
