package nft

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/jsonerr"
	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// maxJSON bounds what ParseJSON reads: far beyond any real ruleset.
const maxJSON = 256 << 20

// ParseJSON reads a ruleset as `nft -j list ruleset` prints it
// (libnftables-json(5)). It only translates: anything it does not
// understand becomes an undecided match with its text, never an error;
// errors are for input that is not such a document.
func ParseJSON(r io.Reader, opts Options) (*rules.Ruleset, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("read json: %w", err)
	}
	if len(data) > maxJSON {
		return nil, errors.New("parse json: input too large")
	}
	objs, err := topObjects(data)
	if err != nil {
		return nil, fmt.Errorf("parse json: %w", err)
	}
	p := &jsonParser{tables: map[tableKey]*jsonTable{}}
	for i, obj := range objs {
		if err := p.object(obj); err != nil {
			return nil, fmt.Errorf("parse json: object %d: %w", i+1, err)
		}
	}
	rs := p.ruleset(opts)
	if err := checkJumps(rs); err != nil {
		return nil, fmt.Errorf("parse json: %w", err)
	}
	return rs, nil
}

type tableKey struct {
	family rules.Family
	name   string
}

// jsonParser collects the objects of a document; rules are translated
// once every set is known.
type jsonParser struct {
	tables map[tableKey]*jsonTable
	order  []*jsonTable
}

type jsonTable struct {
	ir      *irTable
	fam     string
	dormant bool
	chains  map[string]*irChain
	sets    map[string]*jsonSet
	rules   []jsonRule
}

type jsonRule struct {
	chain   *irChain
	handle  uint64
	comment string
	expr    []any
}

type jsonSet struct {
	name    string
	elems   []any
	isMap   bool
	vmap    bool
	dynamic bool
	parsed  map[string]setValue
}

// setValue is a set's elements read for one list of selectors.
type setValue struct {
	elems []elem
	data  []any // maps: each element's data
	err   error
}

// object handles one top-level object: {"table": {...}}, {"rule": {...}}...
// Commands ({"add": {...}}) of `nft -j -f` input are read as what they add.
func (p *jsonParser) object(obj map[string]json.RawMessage) error {
	for key, raw := range obj {
		switch key {
		case "add", "create", "insert":
			var inner map[string]json.RawMessage
			if err := json.Unmarshal(raw, &inner); err != nil {
				return fmt.Errorf("%s is %s, want an object", quote.Q(key), jsonerr.Kind(raw))
			}
			if err := p.object(inner); err != nil {
				return err
			}
		case "table":
			if err := p.table(raw); err != nil {
				return err
			}
		case "chain":
			if err := p.chain(raw); err != nil {
				return err
			}
		case "rule":
			if err := p.rule(raw); err != nil {
				return err
			}
		case "set", "map":
			if err := p.set(raw, key == "map"); err != nil {
				return err
			}
		case "element":
			if err := p.element(raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeNum decodes raw into v, numbers as json.Number. encoding/json's
// errors quote input (a whole number literal) unbounded: they are made
// one short line.
func decodeNum(raw json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return jsonerr.Describe(raw, err)
	}
	return nil
}

type jsonObjHead struct {
	Family string `json:"family"`
	Table  string `json:"table"`
	Name   string `json:"name"`
}

func (p *jsonParser) tableOf(family, name string) (*jsonTable, error) {
	f, ok := familyByName[family]
	if !ok {
		return nil, fmt.Errorf("unknown family %s", quote.Q(family))
	}
	t := p.tables[tableKey{f, name}]
	if t == nil {
		t = &jsonTable{ir: &irTable{family: f, name: name, backend: rules.BackendNft}, fam: family,
			chains: map[string]*irChain{}, sets: map[string]*jsonSet{}}
		p.tables[tableKey{f, name}] = t
		p.order = append(p.order, t)
	}
	return t, nil
}

func (p *jsonParser) table(raw json.RawMessage) error {
	var t struct {
		Family string `json:"family"`
		Name   string `json:"name"`
		Flags  any    `json:"flags"`
	}
	if err := decodeNum(raw, &t); err != nil {
		return err
	}
	jt, err := p.tableOf(t.Family, t.Name)
	if err != nil {
		return err
	}
	jt.dormant = slices.Contains(strList(t.Flags), "dormant")
	return nil
}

func (p *jsonParser) chain(raw json.RawMessage) error {
	var c struct {
		jsonObjHead
		Handle uint64 `json:"handle"`
		Type   string `json:"type"`
		Hook   string `json:"hook"`
		Prio   any    `json:"prio"`
		Policy string `json:"policy"`
		Dev    any    `json:"dev"`
	}
	if err := decodeNum(raw, &c); err != nil {
		return err
	}
	t, err := p.tableOf(c.Family, c.Table)
	if err != nil {
		return err
	}
	ch := t.chains[c.Name]
	if ch == nil {
		ch = &irChain{name: c.Name, handle: c.Handle}
		t.chains[c.Name] = ch
		t.ir.chains = append(t.ir.chains, ch)
	}
	if c.Hook == "" {
		return nil
	}
	ch.base, ch.typ, ch.hook = true, c.Type, hookByName(c.Hook)
	ch.prio = jsonPrio(c.Prio)
	ch.policy = rules.Accept
	if c.Policy == "drop" {
		ch.policy = rules.Drop
	}
	ch.devices = strList(c.Dev)
	if len(ch.devices) == 0 && (ch.hook == rules.HookIngress || ch.hook == hookEgress) {
		ch.noDevice = true
	}
	return nil
}

// jsonPrio reads a chain priority: a number, or a standard name.
func jsonPrio(v any) int {
	if n, ok := jsonInt(v); ok {
		return int(n)
	}
	if s, ok := v.(string); ok {
		if p, ok := stdPrio[s]; ok {
			return p
		}
	}
	return 0
}

var stdPrio = map[string]int{"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}

func (p *jsonParser) rule(raw json.RawMessage) error {
	var r struct {
		jsonObjHead
		Chain   string `json:"chain"`
		Handle  uint64 `json:"handle"`
		Comment string `json:"comment"`
		Expr    []any  `json:"expr"`
	}
	if err := decodeNum(raw, &r); err != nil {
		return err
	}
	t, err := p.tableOf(r.Family, r.Table)
	if err != nil {
		return err
	}
	ch := t.chains[r.Chain]
	if ch == nil {
		return fmt.Errorf("rule in unknown chain %s %s %s", r.Family, quote.Q(r.Table), quote.Q(r.Chain))
	}
	if err := checkValues(r.Expr); err != nil {
		return fmt.Errorf("rule %d in %s %s %s: %w", r.Handle, r.Family, quote.Q(r.Table), quote.Q(r.Chain), err)
	}
	t.rules = append(t.rules, jsonRule{chain: ch, handle: r.Handle, comment: r.Comment, expr: r.Expr})
	return nil
}

func (p *jsonParser) set(raw json.RawMessage, isMap bool) error {
	var s struct {
		jsonObjHead
		Map   any   `json:"map"`
		Flags any   `json:"flags"`
		Elem  []any `json:"elem"`
	}
	if err := decodeNum(raw, &s); err != nil {
		return err
	}
	t, err := p.tableOf(s.Family, s.Table)
	if err != nil {
		return err
	}
	js := &jsonSet{name: s.Name, elems: s.Elem, isMap: isMap, parsed: map[string]setValue{}}
	js.vmap = isMap && s.Map == "verdict"
	js.dynamic = slices.Contains(strList(s.Flags), "dynamic")
	t.sets[s.Name] = js
	return nil
}

func (p *jsonParser) element(raw json.RawMessage) error {
	var e struct {
		jsonObjHead
		Elem []any `json:"elem"`
	}
	if err := decodeNum(raw, &e); err != nil {
		return err
	}
	t, err := p.tableOf(e.Family, e.Table)
	if err != nil {
		return err
	}
	if s := t.sets[e.Name]; s != nil {
		s.elems = append(s.elems, e.Elem...)
		s.parsed = map[string]setValue{}
	}
	return nil
}

// ruleset translates the collected tables.
func (p *jsonParser) ruleset(opts Options) *rules.Ruleset {
	var tables []*irTable
	var notes []string
	for _, t := range p.order {
		if t.dormant {
			notes = append(notes, fmt.Sprintf("nft table %s %s is dormant: its chains see no packets", t.fam, t.ir.name))
			continue
		}
		dyn := t.dynsetTargets()
		xt := false
		for _, r := range t.rules {
			d := &jsonDecoder{t: t, dyn: dyn}
			ir := &irRule{handle: r.handle, comment: r.comment, items: d.rule(r.expr)}
			r.chain.rules = append(r.chain.rules, ir)
			xt = xt || d.xt
		}
		finishTable(t.ir, xt, nil)
		if !opts.skip(t.ir) {
			tables = append(tables, t.ir)
		}
	}
	rs := lowerTables(tables, opts.source("json"))
	rs.Notes = append(notes, rs.Notes...)
	return rs
}

// dynsetTargets lists the sets rules of the table add elements to.
func (t *jsonTable) dynsetTargets() map[string]bool {
	out := map[string]bool{}
	for name, s := range t.sets {
		if s.dynamic {
			out[name] = true
		}
	}
	for _, r := range t.rules {
		for _, e := range r.expr {
			k, v, ok := single(e)
			if !ok || k != "set" && k != "map" && k != "meter" {
				continue
			}
			m, _ := v.(map[string]any)
			for _, f := range []string{"set", "map", "name"} {
				if s, ok := m[f].(string); ok {
					out[strings.TrimPrefix(s, "@")] = true
				}
			}
		}
	}
	return out
}

// Helpers over decoded JSON values.

// single splits a one-key object {"key": value}.
func single(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, x := range m {
		return k, x, true
	}
	return "", nil, false
}

func jsonInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func jsonUint(v any) (uint64, bool) {
	i, ok := jsonInt(v)
	return uint64(i), ok && i >= 0
}

// strList reads a string or a list of strings.
func strList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// compact spells a JSON value for a text that must name it.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
