package rules

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// span is a closed range of a two-byte field's values.
type span struct{ lo, hi uint16 }

// valueSet is a set of two-byte values (ports, lengths) as sorted,
// disjoint, non-adjacent spans.
type valueSet []span

var allValues = valueSet{{0, 0xffff}}

// setOfIntervals is the set the two-byte intervals cover; keys of another
// size are left out.
func setOfIntervals(ivs []Interval) valueSet {
	var spans []span
	for _, iv := range ivs {
		spans = appendSpan(spans, iv)
	}
	return normalize(spans)
}

func (s valueSet) contains(v uint16) bool {
	for _, sp := range s {
		if sp.lo <= v && v <= sp.hi {
			return true
		}
	}
	return false
}

func (s valueSet) isAll() bool { return len(s) == 1 && s[0] == allValues[0] }

// complement is every value s lacks.
func (s valueSet) complement() valueSet {
	var out valueSet
	next := 0
	for _, sp := range s {
		if int(sp.lo) > next {
			out = append(out, span{uint16(next), sp.lo - 1})
		}
		next = int(sp.hi) + 1
	}
	if next <= 0xffff {
		out = append(out, span{uint16(next), 0xffff})
	}
	return out
}

// intersect walks the smaller set and finds its spans in the larger by
// bisection: a walk narrowed by one port at a time costs the port, not
// the thousands of ports still left.
func (s valueSet) intersect(t valueSet) valueSet {
	if len(s) > len(t) {
		s, t = t, s
	}
	var out valueSet
	for _, sp := range s {
		i, _ := slices.BinarySearchFunc(t, sp.lo, func(x span, v uint16) int { return int(x.hi) - int(v) })
		for ; i < len(t) && t[i].lo <= sp.hi; i++ {
			out = append(out, span{max(sp.lo, t[i].lo), min(sp.hi, t[i].hi)})
		}
	}
	return out
}

// removeSubset takes part, a subset of s, out of s in place.
func (s valueSet) removeSubset(part valueSet) valueSet {
	for _, p := range part {
		i, _ := slices.BinarySearchFunc(s, p.lo, func(x span, v uint16) int { return int(x.hi) - int(v) })
		switch sp := s[i]; {
		case sp == p:
			s = slices.Delete(s, i, i+1)
		case sp.lo == p.lo:
			s[i].lo = p.hi + 1
		case sp.hi == p.hi:
			s[i].hi = p.lo - 1
		default:
			s[i].hi = p.lo - 1
			s = slices.Insert(s, i+1, span{p.hi + 1, sp.hi})
		}
	}
	return s
}

func (s valueSet) minus(t valueSet) valueSet { return s.intersect(t.complement()) }

func (s valueSet) union(t valueSet) valueSet {
	return s.complement().intersect(t.complement()).complement()
}

// pick is the value of s an outcome stands for: prefer, when s holds it.
func (s valueSet) pick(prefer uint16) uint16 {
	if s.contains(prefer) || len(s) == 0 {
		return prefer
	}
	return s[0].lo
}

// String lists the spans: "53", "0-1023", "53, 67-68".
func (s valueSet) String() string {
	parts := make([]string, len(s))
	for i, sp := range s {
		parts[i] = fmt.Sprint(sp.lo)
		if sp.hi != sp.lo {
			parts[i] += fmt.Sprintf("-%d", sp.hi)
		}
	}
	return strings.Join(parts, ", ")
}

// appendSpan adds a two-byte interval; keys of another size are left out.
func appendSpan(spans []span, iv Interval) []span {
	if len(iv.Lo) != 2 || len(iv.Hi) != 2 {
		return spans
	}
	lo, hi := binary.BigEndian.Uint16(iv.Lo), binary.BigEndian.Uint16(iv.Hi)
	if lo > hi {
		return spans
	}
	return append(spans, span{lo, hi})
}

// normalize sorts spans and merges those that overlap or touch.
func normalize(spans []span) valueSet {
	slices.SortFunc(spans, func(a, b span) int { return int(a.lo) - int(b.lo) })
	out := spans[:0]
	for _, sp := range spans {
		if n := len(out); n > 0 && int(sp.lo) <= int(out[n-1].hi)+1 {
			out[n-1].hi = max(out[n-1].hi, sp.hi)
			continue
		}
		out = append(out, sp)
	}
	return valueSet(out)
}
