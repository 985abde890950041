package ipt

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// buildSet handles -m set. With the set's contents known (Options.IPSets)
// it becomes a real match over the fields its flags name; otherwise, or
// when the contents are more than the model holds, it stays opaque.
func buildSet(r *ruleLine, e *ext) error {
	ref, returnNomatch, err := setOptions(r, e)
	if err != nil {
		return err
	}
	name, flags := ref.args[0], strings.Split(ref.args[1], ",")
	text := strings.TrimPrefix(ref.text, "! ")
	s := r.opts.IPSets[name]
	if s == nil {
		r.add(rules.Opaque(text))
		r.note(unknownSetNote(name, *r.opts))
		return nil
	}
	sm := setMatcher{sets: r.opts.IPSets, fam: r.fam, flags: flags, returnNomatch: returnNomatch}
	m, ok := sm.match(s, 0)
	if !ok {
		r.add(rules.Opaque(text))
		r.note(fmt.Sprintf("ipset %s: %s members the model cannot hold; kept undecided", name, s.Type))
		return nil
	}
	if s.Timeout {
		r.note(fmt.Sprintf("ipset %s: members time out; evaluated as listed", name))
	}
	m.Negate, m.Text = ref.neg, ref.text
	r.add(m)
	return nil
}

// setOptions finds the set a -m set names, and keeps its counter
// comparisons as opaque matches: they change as packets pass.
func setOptions(r *ruleLine, e *ext) (ref *opt, returnNomatch bool, err error) {
	for i, o := range e.opts {
		switch o.name {
		case "--match-set", "--set":
			ref = &e.opts[i]
		case "--return-nomatch":
			returnNomatch = true
		case "--update-counters", "--update-subcounters":
		default:
			r.add(rules.Opaque(o.text))
		}
	}
	if ref == nil {
		return nil, false, fmt.Errorf("needs --match-set")
	}
	for _, f := range strings.Split(ref.args[1], ",") {
		if f != "src" && f != "dst" {
			return nil, false, fmt.Errorf("bad set flags %s", quote.Q(ref.args[1]))
		}
	}
	return ref, returnNomatch, nil
}

// setMatcher turns a set into a match for one rule's flags.
type setMatcher struct {
	sets          IPSets
	fam           rules.Family
	flags         []string
	returnNomatch bool
}

// match builds the (not yet negated) match of s; ok is false when s
// holds what the model cannot.
func (sm setMatcher) match(s *IPSet, depth int) (rules.Match, bool) {
	if s.dims[0] == dimSet {
		return sm.list(s, depth)
	}
	fields, ok := sm.fields(s)
	if !ok {
		return rules.Match{}, false
	}
	m := rules.Match{Fields: fields}
	// The kernel tests nothing when the rule gives fewer flags than the
	// set has dimensions, or the families differ: the set never matches.
	if len(sm.flags) < len(s.dims) || s.Family != "" && s.Family != sm.fam {
		return m, true
	}
	var elems []rules.Elem
	nomatch := false
	for _, mem := range s.Members {
		if mem.Opaque {
			return rules.Match{}, false
		}
		nomatch = nomatch || mem.Nomatch
		elems = append(elems, rules.Elem(mem.Parts))
	}
	if nomatch && !sm.returnNomatch {
		if len(fields) != 1 {
			return rules.Match{}, false
		}
		return rules.NewMatch(fields[0], false, "", longestPrefix(s.Members)...), true
	}
	return matchOf(fields, elems), true
}

// fields maps the set's dimensions to packet fields by the rule's flags.
func (sm setMatcher) fields(s *IPSet) ([]rules.Field, bool) {
	var fields []rules.Field
	for i, d := range s.dims {
		src := i < len(sm.flags) && sm.flags[i] == "src"
		switch d {
		case dimAddr:
			fields = append(fields, pick(src, rules.FieldSaddr, rules.FieldDaddr))
		case dimPort:
			if strings.HasPrefix(s.Type, "hash:") {
				fields = append(fields, rules.FieldL4Proto)
			}
			fields = append(fields, pick(src, rules.FieldSport, rules.FieldDport))
		case dimMark:
			fields = append(fields, rules.FieldMark)
		case dimIface:
			fields = append(fields, pick(src, rules.FieldIIF, rules.FieldOIF))
		default:
			return nil, false
		}
	}
	return fields, true
}

func pick(src bool, s, d rules.Field) rules.Field {
	if src {
		return s
	}
	return d
}

// matchOf builds a match from elements; one field gets NewMatch's sorted,
// merged form.
func matchOf(fields []rules.Field, elems []rules.Elem) rules.Match {
	if len(fields) == 1 {
		ivs := make([]rules.Interval, len(elems))
		for i, e := range elems {
			ivs[i] = e[0]
		}
		return rules.NewMatch(fields[0], false, "", ivs...)
	}
	return rules.Match{Fields: fields, Elems: elems}
}

// list is a list:set: a packet matches when it matches a member set. As
// one match that needs every member to key on the same fields.
func (sm setMatcher) list(s *IPSet, depth int) (rules.Match, bool) {
	if depth > 4 {
		return rules.Match{}, false
	}
	var fields []rules.Field
	var elems []rules.Elem
	for _, mem := range s.Members {
		ms, ok := sm.sets[mem.Set]
		if !ok {
			return rules.Match{}, false
		}
		m, ok := sm.match(ms, depth+1)
		if !ok || fields != nil && len(m.Elems) > 0 && !slices.Equal(fields, m.Fields) {
			return rules.Match{}, false
		}
		if len(m.Elems) > 0 || fields == nil {
			fields = m.Fields
		}
		elems = append(elems, m.Elems...)
	}
	if fields == nil {
		return rules.Match{Fields: []rules.Field{rules.FieldSaddr}}, true // empty list
	}
	return matchOf(fields, elems), true
}

// longestPrefix resolves nomatch members of a one-dimension hash:net: the
// kernel's answer is that of the most specific member containing the
// address. Painting members from the widest to the narrowest gives the
// same.
func longestPrefix(members []Member) []rules.Interval {
	ms := slices.Clone(members)
	slices.SortStableFunc(ms, func(a, b Member) int { return -cmpWidth(a.Parts[0], b.Parts[0]) })
	var out []rules.Interval
	for _, m := range ms {
		if m.Nomatch {
			out = subtract(out, m.Parts[0])
		} else {
			out = append(out, m.Parts[0])
		}
	}
	return out
}

// cmpWidth orders intervals by their width, Hi - Lo.
func cmpWidth(a, b rules.Interval) int {
	return bytes.Compare(sub(a.Hi, a.Lo), sub(b.Hi, b.Lo))
}

// sub is a - b over big-endian keys of one length, a >= b.
func sub(a, b []byte) []byte {
	out := make([]byte, len(a))
	borrow := 0
	for i := len(a) - 1; i >= 0; i-- {
		d := int(a[i]) - int(b[i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		out[i] = byte(d)
	}
	return out
}

// subtract removes iv from every interval of ivs.
func subtract(ivs []rules.Interval, iv rules.Interval) []rules.Interval {
	var out []rules.Interval
	for _, x := range ivs {
		if len(x.Lo) != len(iv.Lo) || bytes.Compare(x.Hi, iv.Lo) < 0 || bytes.Compare(iv.Hi, x.Lo) < 0 {
			out = append(out, x)
			continue
		}
		if bytes.Compare(x.Lo, iv.Lo) < 0 {
			out = append(out, rules.Interval{Lo: x.Lo, Hi: step(iv.Lo, -1)})
		}
		if bytes.Compare(iv.Hi, x.Hi) < 0 {
			out = append(out, rules.Interval{Lo: step(iv.Hi, 1), Hi: x.Hi})
		}
	}
	return out
}

// step is k+1 or k-1; the callers never step past the ends.
func step(k []byte, d int) []byte {
	out := slices.Clone(k)
	for i := len(out) - 1; i >= 0; i-- {
		old := out[i]
		out[i] = byte(int(old) + d)
		if d > 0 && old != 0xff || d < 0 && old != 0 {
			break
		}
	}
	return out
}

// unknownSetNote says why a set's contents are unknown: no contents were
// given, or the ones given do not name it.
func unknownSetNote(name string, opts Options) string {
	switch {
	case opts.IPSets == nil:
		return fmt.Sprintf("ipset %s: contents unknown (pass --ipset FILE)", name)
	case opts.Backend != "" && opts.Backend != rules.BackendIptablesFile:
		return fmt.Sprintf("ipset %s: not among the host's ipsets; kept undecided", name)
	case len(opts.IPSets) == 0:
		return fmt.Sprintf("ipset %s: contents unknown: the --ipset files hold no set", name)
	}
	return fmt.Sprintf("ipset %s: contents unknown: not among the sets of the --ipset files (%s)", name, setNames(opts.IPSets))
}

// setNames lists a few of the sets' names, sorted.
func setNames(sets IPSets) string {
	names := slices.Sorted(maps.Keys(sets))
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	return strings.Join(names, ", ")
}
