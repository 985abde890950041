package rules

import (
	"encoding/binary"
	"fmt"
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
	var s valueSet
	for _, iv := range ivs {
		if len(iv.Lo) == 2 && len(iv.Hi) == 2 {
			s = s.union(valueSet{{binary.BigEndian.Uint16(iv.Lo), binary.BigEndian.Uint16(iv.Hi)}})
		}
	}
	return s
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

func (s valueSet) intersect(t valueSet) valueSet {
	var out valueSet
	for i, j := 0, 0; i < len(s) && j < len(t); {
		lo, hi := max(s[i].lo, t[j].lo), min(s[i].hi, t[j].hi)
		if lo <= hi {
			out = append(out, span{lo, hi})
		}
		if s[i].hi < t[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
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
