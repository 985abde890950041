package ipt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// Options say what a text is and where it came from.
type Options struct {
	// Family is rules.FamilyIPv4 (iptables, the default) or
	// rules.FamilyIPv6 (ip6tables).
	Family rules.Family
	// Source names the text in Origin and errors: a file name, or "live".
	Source string
	// Backend is where the rules live; rules.BackendIptablesFile when
	// empty.
	Backend rules.Backend
	// IPSets holds the contents of the sets -m set names; a set missing
	// here is an undecided match and a note.
	IPSets IPSets
}

// Input is one text of several that ParseMany reads in order.
type Input struct {
	Name string // Origin.Source of its rules
	R    io.Reader
}

// ParseError is a line the parser refused.
type ParseError struct {
	File string
	Line int
	Text string // the line
	Err  error
}

func (e *ParseError) Error() string {
	where := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Line == 0 {
		where = e.File // the whole input
	}
	if e.Text == "" {
		return fmt.Sprintf("parse %s: %v", where, e.Err)
	}
	return fmt.Sprintf("parse %s: %v: %s", where, e.Err, quote.Q(e.Text))
}

func (e *ParseError) Unwrap() error { return e.Err }

func lineError(file string, line int, text string, err error) error {
	if file == "" {
		file = "-"
	}
	return &ParseError{File: file, Line: line, Text: text, Err: err}
}

// ErrIncompatible is the condition of a table iptables-nft cannot show
// because native nftables rules share it. Readers record it as a note
// naming the table; the nft reader reads such tables.
var ErrIncompatible = errors.New("incompatible with iptables (it holds native nftables rules): read it with the nft reader")

// maxLine bounds a line (the README states it); iptables-restore's own
// limit is far lower.
const maxLine = 1 << 20

// Parse reads iptables-save (or ip6tables-save) output: every *table
// block up to its COMMIT, with chain policies, optional [packets:bytes]
// counters and any -A/-I/-N/-P line iptables-restore accepts there.
func Parse(r io.Reader, opts Options) (*rules.Ruleset, error) {
	return ParseMany(opts, Input{Name: opts.Source, R: r})
}

// ParseMany reads several iptables-save texts as loading them one after
// another would: the first with iptables-restore, the rest with
// iptables-restore --noflush (their blocks add to the tables, and their
// chain lines flush existing user chains). Sidecar files that create the
// chains a fragment jumps to are read this way.
func ParseMany(opts Options, inputs ...Input) (*rules.Ruleset, error) {
	p, err := newParser(opts)
	if err != nil {
		return nil, err
	}
	for i, in := range inputs {
		p.src, p.noflush = in.Name, i > 0
		if err := p.read(in.R, p.saveLine); err != nil {
			return nil, err
		}
		if p.cur != nil {
			return nil, lineError(p.src, p.curLine, p.curText, fmt.Errorf("table %s has no COMMIT", quote.Q(p.cur.t.Name)))
		}
	}
	return p.finish(), nil
}

// ParseRules reads `iptables -t TABLE -S` output: -P policies, -N chains
// and -A rules (with -c counters when listed with -v).
func ParseRules(r io.Reader, table string, opts Options) (*rules.Ruleset, error) {
	p, err := newParser(opts)
	if err != nil {
		return nil, err
	}
	p.src = opts.Source
	if _, ok := builtins[table]; !ok {
		return nil, fmt.Errorf("parse %s: unknown table %s", p.src, quote.Q(table))
	}
	p.cur = p.table(table)
	if err := p.read(r, p.listLine); err != nil {
		return nil, err
	}
	if err := p.cur.resolve(&p.notes); err != nil {
		return nil, err
	}
	if err := p.cur.checkLoops(); err != nil {
		return nil, lineError(p.src, 0, "", err)
	}
	return p.finish(), nil
}

// parser is the line state machine: outside a table, or inside one
// (after *table, until COMMIT).
type parser struct {
	opts    Options
	src     string
	noflush bool
	tables  map[string]*tableState
	rs      *rules.Ruleset
	cur     *tableState
	curLine int
	curText string
	notes   noteSet
}

func newParser(opts Options) (*parser, error) {
	switch opts.Family {
	case "":
		opts.Family = rules.FamilyIPv4
	case rules.FamilyIPv4, rules.FamilyIPv6:
	default:
		return nil, fmt.Errorf("parse %s: family %s is not ipv4 or ipv6", opts.Source, quote.Q(string(opts.Family)))
	}
	if opts.Backend == "" {
		opts.Backend = rules.BackendIptablesFile
	}
	return &parser{opts: opts, tables: map[string]*tableState{}, rs: &rules.Ruleset{Families: []rules.Family{opts.Family}}}, nil
}

func (p *parser) read(r io.Reader, line func(string, int) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimRight(sc.Text(), " \t\r")
		if err := line(text, n); err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return err
			}
			return lineError(p.src, n, text, err)
		}
	}
	if err := sc.Err(); err != nil {
		return lineError(p.src, n+1, "", scanError(err))
	}
	return nil
}

// scanError says what a scanner's error means to the user: a line over
// the bound is named with the bound.
func scanError(err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("line longer than %d MiB, the most perimeter reads in one line (is this an iptables-save or ipset save text?)", maxLine>>20)
	}
	return err
}

func (p *parser) finish() *rules.Ruleset {
	for _, t := range p.rs.Tables {
		p.tables[t.Name].number()
	}
	p.rs.Notes = append(p.rs.Notes, p.notes.list...)
	return p.rs
}

// saveLine handles one line of iptables-save output.
func (p *parser) saveLine(line string, n int) error {
	switch {
	case line == "":
		return nil
	case line[0] == '#':
		p.comment(line)
		return nil
	case line[0] == '*':
		return p.startTable(line, n)
	case p.cur == nil:
		return errors.New("not in a table (no *table line before it)")
	case strings.TrimSpace(line) == "COMMIT":
		return p.commit(n)
	case line[0] == ':':
		return p.chainLine(line, n)
	}
	return p.command(line, n)
}

// listLine handles one line of iptables -S output.
func (p *parser) listLine(line string, n int) error {
	switch {
	case line == "":
		return nil
	case line[0] == '#':
		p.comment(line)
		return nil
	}
	return p.command(line, n)
}

// incompatible matches what iptables-nft prints for a table it cannot
// show: "# Table `filter' is incompatible, use 'nft' tool." and "# Table
// `filter' contains incompatible base-chains, use 'nft' tool to list
// them."
var incompatible = regexp.MustCompile("^# Table `([^']*)' (is incompatible|contains incompatible base-chains)")

func (p *parser) comment(line string) {
	m := incompatible.FindStringSubmatch(line)
	if m == nil {
		return
	}
	what := "table"
	if strings.Contains(m[2], "base-chains") {
		what = "base chains of table"
	}
	p.notes.add(fmt.Sprintf("%s %s %s: %s %s %v", p.src, p.opts.Backend, p.opts.Family, what, m[1], ErrIncompatible))
}

func (p *parser) startTable(line string, n int) error {
	if p.cur != nil {
		return fmt.Errorf("table %s has no COMMIT before this line", quote.Q(p.cur.t.Name))
	}
	name := strings.TrimSpace(line[1:])
	if _, ok := builtins[name]; !ok {
		return fmt.Errorf("unknown table %s", quote.Q(name))
	}
	p.cur, p.curLine, p.curText = p.table(name), n, line
	return nil
}

// table returns the named table's state: a new, empty one unless reading
// with --noflush semantics, which keeps what earlier inputs built.
func (p *parser) table(name string) *tableState {
	old := p.tables[name]
	if old != nil && p.noflush {
		return old
	}
	t := &rules.Table{Family: p.opts.Family, Name: name, Backend: p.opts.Backend, Source: p.src}
	ts := newTableState(t)
	p.tables[name] = ts
	for i, ot := range p.rs.Tables {
		if old != nil && ot == old.t {
			p.rs.Tables[i] = t
			return ts
		}
	}
	p.rs.Tables = append(p.rs.Tables, t)
	return ts
}

// commit ends the table at line n: its jumps are resolved, and checked
// for loops.
func (p *parser) commit(n int) error {
	ts := p.cur
	p.cur = nil
	if err := ts.resolve(&p.notes); err != nil {
		return err
	}
	if err := ts.checkLoops(); err != nil {
		return lineError(p.src, n, "", err)
	}
	return nil
}

// chainLine reads ":NAME POLICY [packets:bytes]".
func (p *parser) chainLine(line string, n int) error {
	f := strings.Fields(line[1:])
	if len(f) < 2 || len(f) > 3 || len(f) == 3 && !isCounters(f[2]) {
		return errors.New("bad chain line")
	}
	if err := p.cur.declare(f[0], f[1], p.origin(f[0], line, n)); err != nil {
		return err
	}
	c := p.cur.chains[f[0]]
	c.Origin.Text = chainText(c)
	return nil
}

// chainText spells a chain as `iptables -S` does: "-P INPUT DROP" for a
// built-in chain, "-N name" for a user chain. iptables-save's
// ":INPUT DROP [0:0]" says the same, but a policy must read the same
// from a file as live, and without the counts.
func chainText(c *rules.Chain) string {
	if c.Hook == "" {
		return "-N " + c.Name
	}
	return "-P " + c.Name + " " + strings.ToUpper(c.Policy.Kind.String())
}

// span is the tokens [from, to) of a line.
type span struct{ from, to int }

// shownText is a command line as `iptables -S` prints it: without the
// packet and byte counts of `iptables-save -c` ("[5:300] -A ...") and
// `iptables -S -v` ("-A ... -c 5 300"), which are the spans cut. They
// change with every packet, so a rule would read differently on every
// run, and differently live and from a file.
func shownText(line string, toks []token, cut ...span) string {
	var b strings.Builder
	at := toks[0].start
	for _, c := range cut {
		b.WriteString(line[at:toks[c.from].start])
		at = toks[c.to-1].end
		for at < len(line) && (line[at] == ' ' || line[at] == '\t') {
			at++
		}
	}
	b.WriteString(line[at:])
	return strings.TrimRight(b.String(), " \t")
}

var countersRE = regexp.MustCompile(`^\[[0-9]+:[0-9]+\]$`)

func isCounters(s string) bool { return countersRE.MatchString(s) }

// origin is where a line of the input is, and text how it shows.
func (p *parser) origin(chain, text string, n int) rules.Origin {
	return rules.Origin{
		Source: p.src, Backend: p.opts.Backend, Family: p.opts.Family,
		Table: p.cur.t.Name, Chain: chain, Line: n, Text: text,
	}
}

// command reads an iptables command line: -A, -I, -N or -P, optionally
// after iptables-save -c's "[packets:bytes]".
func (p *parser) command(line string, n int) error {
	body := line
	if strings.HasPrefix(body, "[") {
		c, rest, _ := strings.Cut(body, " ")
		if !isCounters(c) {
			return errors.New("bad counters")
		}
		body = rest
	}
	toks, err := tokenize(body)
	if err != nil {
		return err
	}
	shift := len(line) - len(body)
	for i := range toks {
		toks[i].start += shift
		toks[i].end += shift
	}
	if len(toks) < 2 {
		return errors.New("bad command")
	}
	return p.dispatch(line, n, toks)
}

func (p *parser) dispatch(line string, n int, toks []token) error {
	name := toks[1].s
	switch toks[0].s {
	case "-A", "--append", "-I", "--insert":
		return p.rule(line, n, toks)
	case "-N", "--new-chain":
		if len(toks) != 2 {
			return errors.New("bad -N line")
		}
		return p.cur.declare(name, "-", p.origin(name, shownText(line, toks), n))
	case "-P", "--policy":
		if len(toks) != 3 && !(len(toks) == 6 && toks[3].s == "-c") {
			return errors.New("bad -P line")
		}
		text := shownText(line, toks)
		if len(toks) == 6 {
			text = shownText(line, toks, span{3, 6})
		}
		return p.cur.setPolicy(name, toks[2].s, p.origin(name, text, n))
	}
	return fmt.Errorf("unknown command %s", quote.Q(toks[0].s))
}

// rule reads an -A or -I line into the chain's rules.
func (p *parser) rule(line string, n int, toks []token) error {
	at, pos, err := insertAt(toks)
	if err != nil {
		return err
	}
	rl := &ruleLine{fam: p.opts.Family, opts: &p.opts, line: line, toks: toks, pos: pos, chain: toks[1].s}
	if err := rl.parse(); err != nil || rl.skip {
		return err
	}
	if err := rl.build(); err != nil {
		return err
	}
	c, err := p.cur.chain(rl.chain)
	if err != nil {
		return err
	}
	rs := rl.rules(p.origin(rl.chain, shownText(line, toks, rl.counts...), n))
	for _, note := range rl.notes {
		p.notes.add(note)
	}
	if name := rl.jumpTo + rl.gotoTo; name != "" {
		pj := pendingJump{rule: rs[0], name: name, isGoto: rl.gotoTo != "", source: p.src, line: n, text: line}
		if rl.target != nil {
			pj.opts = rl.target.opts
		}
		p.cur.pending = append(p.cur.pending, pj)
	}
	return p.cur.insert(c, at, rs)
}

// insertAt reads where an -I line inserts (0 for -A: append) and where
// its arguments start.
func insertAt(toks []token) (at, pos int, err error) {
	if toks[0].s != "-I" && toks[0].s != "--insert" {
		return 0, 2, nil
	}
	if len(toks) < 3 || !isNumber(toks[2].s) {
		return 1, 2, nil
	}
	n, err := strconv.Atoi(toks[2].s)
	if err != nil || n < 1 {
		return 0, 0, fmt.Errorf("bad rule number %s", quote.Q(toks[2].s))
	}
	return n, 3, nil
}

// noteSet keeps notes once each, in order.
type noteSet struct {
	seen map[string]bool
	list []string
}

func (n *noteSet) add(s string) {
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	if !n.seen[s] {
		n.seen[s] = true
		n.list = append(n.list, s)
	}
}
