package ipt

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// opt is one option of an extension as the line wrote it.
type opt struct {
	name string
	neg  bool
	args []string
	text string // "! --dport 22"
}

// ext is a match module (-m) or target (-j) loaded on a rule line, with
// the options the line gave it.
type ext struct {
	name   string
	spec   *extSpec // nil: unknown to perimeter
	target bool
	opts   []opt
	pieces []string // the text of "-m name" and its options, as written
}

func (e *ext) text() string { return strings.Join(e.pieces, " ") }

// takesAny reports whether e takes whatever options follow it: perimeter
// does not know its options, so it keeps them as text.
func (e *ext) takesAny() bool { return e.spec == nil || e.spec.opts == nil }

// extSpec describes an extension perimeter understands.
type extSpec struct {
	opts   map[string]int // option name → number of arguments; nil: any
	family rules.Family   // "" for both
	build  func(r *ruleLine, e *ext) error
}

// ruleLine parses the arguments of one -A/-I line into matches, statements
// and a verdict.
type ruleLine struct {
	fam  rules.Family
	opts *Options
	line string
	toks []token
	pos  int

	chain    string
	insert   bool
	insertAt int
	skip     bool // -4 on an IPv6 line or -6 on an IPv4 one: ignored by the tools

	slots    []slot
	stmts    []rules.Statement
	verdict  rules.Verdict
	exts     []*ext
	target   *ext
	jumpTo   string // -j to a name that is no known target: a chain, resolved at COMMIT
	gotoTo   string
	proto    uint8
	hasProto bool
	notes    []string
	// counts are the "-c PACKETS BYTES" options, as token spans: they
	// are left out of the rule's text (see shownText).
	counts []span
}

// slot is one condition of a rule: a match, or alternatives of which one
// must hold (--ports).
type slot struct {
	m    rules.Match
	alts [][]rules.Match
}

// add appends matches that must all hold.
func (r *ruleLine) add(ms ...rules.Match) {
	for _, m := range ms {
		r.slots = append(r.slots, slot{m: m})
	}
}

// either appends a condition that holds when any one of alts holds.
func (r *ruleLine) either(alts ...[]rules.Match) { r.slots = append(r.slots, slot{alts: alts}) }

func (r *ruleLine) stmt(s rules.Statement) { r.stmts = append(r.stmts, s) }

func (r *ruleLine) note(s string) { r.notes = append(r.notes, s) }

// span is the text of tokens [i, j) as the line wrote it.
func (r *ruleLine) span(i, j int) string {
	if i >= j {
		return ""
	}
	return r.line[r.toks[i].start:r.toks[j-1].end]
}

func (r *ruleLine) more() bool { return r.pos < len(r.toks) }

func (r *ruleLine) next() string {
	r.pos++
	return r.toks[r.pos-1].s
}

// isBang reports whether token i is a negation.
func (r *ruleLine) isBang(i int) bool {
	return i < len(r.toks) && r.toks[i].s == "!" && !r.toks[i].quoted
}

// isOpt reports whether token i is an option name.
func (r *ruleLine) isOpt(i int) bool {
	return i < len(r.toks) && isOption(r.toks[i].s) && !r.toks[i].quoted
}

// bang consumes a "!" that negates the next option.
func (r *ruleLine) bang() (bool, error) {
	if !r.isBang(r.pos) {
		return false, nil
	}
	r.pos++
	if !r.more() {
		return false, errors.New(`"!" at end of line`)
	}
	if r.isBang(r.pos) {
		return false, errors.New(`multiple "!" flags`)
	}
	return true, nil
}

// args consumes n arguments of an option. A leading "!" is the pre-1.4.3
// spelling of negation ("--dport ! 22").
func (r *ruleLine) args(name string, n int, neg bool) ([]string, bool, error) {
	if n > 0 && r.isBang(r.pos) {
		if neg {
			return nil, false, errors.New(`multiple "!" flags`)
		}
		neg = true
		r.pos++
	}
	if r.pos+n > len(r.toks) {
		return nil, false, fmt.Errorf("option %s needs %d argument(s)", quote.Q(name), n)
	}
	var out []string
	for range n {
		out = append(out, r.next())
	}
	return out, neg, nil
}

// anyArgs consumes the arguments of an option perimeter does not know:
// everything up to the next option.
func (r *ruleLine) anyArgs(neg bool) ([]string, bool) {
	var out []string
	for r.more() {
		if r.isBang(r.pos) {
			if neg || r.pos+1 >= len(r.toks) || r.isOpt(r.pos+1) {
				break
			}
			neg = true
			r.pos++
			continue
		}
		if r.isOpt(r.pos) {
			break
		}
		out = append(out, r.next())
	}
	return out, neg
}

// parse reads the line's arguments after the command and chain.
func (r *ruleLine) parse() error {
	for r.more() {
		start := r.pos
		neg, err := r.bang()
		if err != nil {
			return err
		}
		if err := r.option(start, neg, r.next()); err != nil {
			return err
		}
	}
	return nil
}

func (r *ruleLine) option(start int, neg bool, name string) error {
	switch name {
	case "-p", "--protocol":
		return r.protocol(start, neg, name)
	case "-s", "--source", "--src":
		return r.address(start, neg, name, rules.FieldSaddr)
	case "-d", "--destination", "--dst":
		return r.address(start, neg, name, rules.FieldDaddr)
	case "-i", "--in-interface":
		return r.iface(start, neg, name, rules.FieldIIF)
	case "-o", "--out-interface":
		return r.iface(start, neg, name, rules.FieldOIF)
	case "-m", "--match":
		return r.loadMatch(start, neg, name)
	case "-j", "--jump", "-g", "--goto":
		return r.loadTarget(start, neg, name)
	case "-f", "--fragment":
		// A non-first fragment: never a probe.
		r.add(rules.AnyBit(rules.FieldExtHdr, neg, r.span(start, r.pos), rules.ExtFragment))
		return nil
	case "-c", "--set-counters":
		_, _, err := r.args(name, 2, neg)
		r.counts = append(r.counts, span{start, r.pos})
		return err
	case "-4", "--ipv4":
		r.skip = r.skip || r.fam == rules.FamilyIPv6
		return nil
	case "-6", "--ipv6":
		r.skip = r.skip || r.fam == rules.FamilyIPv4
		return nil
	}
	return r.extOption(start, neg, name)
}

func (r *ruleLine) protocol(start int, neg bool, name string) error {
	a, neg, err := r.args(name, 1, neg)
	if err != nil {
		return err
	}
	p, err := parseProto(a[0])
	if err != nil {
		return err
	}
	r.proto, r.hasProto = p, !neg && p != 0
	if p == 0 && !neg {
		return nil // -p all: every packet
	}
	iv := rules.Point(rules.U8(p))
	if p == 0 {
		iv = rules.Interval{Lo: rules.U8(0), Hi: rules.U8(255)} // ! -p all: none
	}
	r.add(rules.NewMatch(rules.FieldL4Proto, neg, r.span(start, r.pos), iv))
	return nil
}

func (r *ruleLine) address(start int, neg bool, name string, f rules.Field) error {
	a, neg, err := r.args(name, 1, neg)
	if err != nil {
		return err
	}
	m, err := addrMatch(f, neg, r.span(start, r.pos), a[0], r.fam)
	if err != nil {
		return err
	}
	r.add(m)
	return nil
}

func (r *ruleLine) iface(start int, neg bool, name string, f rules.Field) error {
	a, neg, err := r.args(name, 1, neg)
	if err != nil {
		return err
	}
	m, ok, err := ifaceMatch(f, neg, r.span(start, r.pos), a[0])
	if ok {
		r.add(m)
	}
	return err
}

func (r *ruleLine) loadMatch(start int, neg bool, name string) error {
	if neg {
		return fmt.Errorf("cannot negate %s", name)
	}
	a, _, err := r.args(name, 1, false)
	if err != nil {
		return err
	}
	spec := matchSpecs[strings.ToLower(a[0])]
	if spec != nil && spec.family != "" && spec.family != r.fam {
		return fmt.Errorf("match %s is %s only", quote.Q(a[0]), spec.family)
	}
	r.exts = append(r.exts, &ext{name: a[0], spec: spec, pieces: []string{r.span(start, r.pos)}})
	return nil
}

func (r *ruleLine) loadTarget(start int, neg bool, name string) error {
	if neg {
		return fmt.Errorf("cannot negate %s", name)
	}
	if r.target != nil || r.gotoTo != "" {
		return errors.New("more than one target")
	}
	a, _, err := r.args(name, 1, false)
	if err != nil {
		return err
	}
	if a[0] == "" {
		return errors.New("empty target name")
	}
	e := &ext{name: a[0], target: true, pieces: []string{r.span(start, r.pos)}}
	switch {
	case name == "-g" || name == "--goto":
		r.gotoTo = a[0]
		return nil
	case targetSpecs[a[0]] != nil:
		e.spec = targetSpecs[a[0]]
	default:
		r.jumpTo = a[0] // a chain, or a target perimeter does not know
	}
	r.target = e
	r.exts = append(r.exts, e)
	return nil
}

// extOption hands an option to the extension it belongs to: the most
// recently loaded one that knows it (iptables merges each new extension's
// options in front of the older ones), else the protocol's own match
// that iptables loads on its own ("-p tcp --dport 22"), else the most
// recent extension whose options perimeter does not know.
func (r *ruleLine) extOption(start int, neg bool, name string) error {
	if !r.isOpt(r.pos - 1) {
		return fmt.Errorf("unexpected argument %s", quote.Q(name))
	}
	e := r.owner(name)
	if e == nil {
		return fmt.Errorf("unknown option %s", quote.Q(name))
	}
	var o opt
	var err error
	if e.takesAny() {
		o.args, o.neg = r.anyArgs(neg)
	} else {
		o.args, o.neg, err = r.args(name, e.spec.opts[name], neg)
	}
	o.name, o.text = name, r.span(start, r.pos)
	e.opts = append(e.opts, o)
	e.pieces = append(e.pieces, o.text)
	return err
}

func (r *ruleLine) owner(name string) *ext {
	for i := len(r.exts) - 1; i >= 0; i-- {
		if e := r.exts[i]; !e.takesAny() && hasOpt(e.spec, name) {
			return e
		}
	}
	if e := r.implicitMatch(name); e != nil {
		return e
	}
	for i := len(r.exts) - 1; i >= 0; i-- {
		if r.exts[i].takesAny() {
			return r.exts[i]
		}
	}
	return nil
}

func hasOpt(s *extSpec, name string) bool {
	_, ok := s.opts[name]
	return ok
}

// implicitMatch loads the protocol's match for an option no loaded
// extension knows, as iptables does.
func (r *ruleLine) implicitMatch(name string) *ext {
	if !r.hasProto {
		return nil
	}
	mod := protoMatch(r.proto, r.fam)
	spec := matchSpecs[mod]
	if spec == nil || !hasOpt(spec, name) || spec.family != "" && spec.family != r.fam {
		return nil
	}
	for _, e := range r.exts {
		if e.name == mod {
			return nil // loaded, and it does not know the option
		}
	}
	e := &ext{name: mod, spec: spec}
	r.exts = append(r.exts, e)
	return e
}

func protoMatch(p uint8, fam rules.Family) string {
	switch p {
	case rules.ProtoTCP:
		return "tcp"
	case rules.ProtoUDP:
		return "udp"
	case rules.ProtoUDPLite:
		return "udplite"
	case rules.ProtoSCTP:
		return "sctp"
	case rules.ProtoICMP:
		return "icmp"
	case rules.ProtoICMPv6:
		return "icmp6"
	}
	return ""
}

// build runs every extension's builder, matches first, in the order the
// line loaded them.
func (r *ruleLine) build() error {
	for _, e := range r.exts {
		var err error
		switch {
		case e.target && e.spec != nil:
			err = e.spec.build(r, e)
		case e.target:
			// resolved at COMMIT, once every chain of the table is known
		case e.spec == nil:
			r.add(rules.Opaque(e.text()))
		default:
			err = e.spec.build(r, e)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return nil
}

// maxSplit bounds how many rules one line may split into (--ports).
const maxSplit = 16

// rules makes the line's rule(s): one, or one per combination of
// alternatives when the verdict ends the walk (see buildMultiport).
func (r *ruleLine) rules(o rules.Origin) []*rules.Rule {
	terminal := r.verdict.Kind.Terminal() && r.jumpTo == "" && r.gotoTo == ""
	combos := [][]rules.Match{make([]rules.Match, 0, len(r.slots))}
	for _, s := range r.slots {
		if s.alts == nil || !terminal || len(combos)*len(s.alts) > maxSplit {
			m := s.m
			if s.alts != nil {
				m = rules.Opaque(s.alts[0][0].Text)
			}
			for i := range combos {
				combos[i] = append(combos[i], m)
			}
			continue
		}
		var next [][]rules.Match
		for _, c := range combos {
			for _, alt := range s.alts {
				next = append(next, append(slices.Clip(c), alt...))
			}
		}
		combos = next
	}
	out := make([]*rules.Rule, len(combos))
	for i, ms := range combos {
		out[i] = &rules.Rule{Matches: ms, Statements: slices.Clone(r.stmts), Verdict: r.verdict, Origin: o}
	}
	return out
}
