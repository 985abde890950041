package nft

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// jsonDecoder turns one rule's JSON statements into the intermediate form.
type jsonDecoder struct {
	t     *jsonTable
	dyn   map[string]bool
	xt    bool
	deps  map[string]bool
	ctx   rules.Family // packet family the rule's matches fixed
	items []item
}

func (d *jsonDecoder) rule(exprs []any) []item {
	for _, e := range exprs {
		d.stmt(e)
	}
	return d.items
}

func (d *jsonDecoder) add(it item)        { d.items = append(d.items, it) }
func (d *jsonDecoder) opaque(text string) { d.add(&opaqueItem{text: text}) }
func (d *jsonDecoder) verdict(v rules.Verdict) {
	d.add(&verdictItem{v: v, text: verdictText(v)})
}

func (d *jsonDecoder) stmt(e any) {
	k, v, ok := single(e)
	if !ok {
		d.opaque(compact(e))
		return
	}
	if vd, ok := jsonVerdict(k, v); ok {
		d.verdict(vd)
		return
	}
	switch k {
	case "match":
		d.match(v)
	case "counter":
		d.add(&effect{st: rules.Statement{Kind: rules.StmtCounter, Text: objRefText("counter", v)}})
	case "log":
		d.log(v)
	case "limit":
		d.limit(v)
	case "quota":
		d.quota(v)
	case "ct count":
		m, _ := v.(map[string]any)
		n, _ := jsonUint(m["val"])
		d.add(countChoice(ctCountText(n, m["inv"] == true), n, m["inv"] == true))
	case "reject":
		d.reject(v)
	case "dnat", "snat", "masquerade", "redirect":
		d.nat(k, v)
	case "queue":
		d.queue(v)
	case "notrack":
		d.add(&effect{st: rules.Statement{Kind: rules.StmtNotrack, Text: "notrack"}})
	case "mangle":
		d.mangle(v)
	case "set", "map", "meter":
		d.dynset(k, v)
	case "vmap":
		d.vmap(v)
	case "xt":
		d.xtStmt(v)
	case "tproxy":
		d.tproxy(v)
	case "fwd", "synproxy":
		// The packet leaves the IP path (fwd), or the kernel answers a
		// SYN itself (synproxy): what a prober sees is not the rules'.
		text := k + " " + compact(v)
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: text}, text: text})
	case "ct helper", "ct timeout", "ct expectation", "secmark", "dup", "flow", "last":
		d.add(other(k + " " + compact(v)))
	default:
		d.opaque(k + " " + compact(v))
	}
}

// objRefText spells a stateful statement: anonymous, or a reference to a
// named object.
func objRefText(kind string, v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%s name %q", kind, s)
	}
	return kind
}

func jsonVerdict(k string, v any) (rules.Verdict, bool) {
	switch k {
	case "accept":
		return rules.Verdict{Kind: rules.Accept}, true
	case "drop":
		return rules.Verdict{Kind: rules.Drop}, true
	case "continue":
		return rules.Verdict{Kind: rules.Continue}, true
	case "return":
		return rules.Verdict{Kind: rules.Return}, true
	case "jump", "goto":
		m, _ := v.(map[string]any)
		target, _ := m["target"].(string)
		kind := rules.Jump
		if k == "goto" {
			kind = rules.Goto
		}
		return rules.Verdict{Kind: kind, Chain: target}, true
	}
	return rules.Verdict{}, false
}

// match decodes {"op", "left", "right"}.
func (d *jsonDecoder) match(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		d.opaque("match " + compact(v))
		return
	}
	op, _ := m["op"].(string)
	sels, mask, ok := d.left(m["left"])
	if !ok {
		d.opaque(opaqueMatchText(leftName(m["left"]), op, rightText(m["right"])))
		return
	}
	d.addDeps(sels)
	for _, s := range sels {
		if s.size == 0 {
			// A selector whose values perimeter cannot type.
			d.opaque(opaqueMatchText(selsName(sels), op, rightText(m["right"])))
			return
		}
	}
	if _, ok := m["right"].(bool); ok && len(sels) == 1 && strings.HasPrefix(sels[0].name, "fib ") {
		// "fib ... oif missing": a test of presence.
		sels[0] = fibPresenceNamed(sels[0])
	}
	mt := &match{sels: sels, mask: mask, op: op}
	if err := d.fill(mt, op, m["right"]); err != nil {
		d.opaque(opaqueMatchText(selsName(sels), op, rightText(m["right"])))
		return
	}
	for _, s := range sels {
		if s.field == noField {
			mt.opaque = true
		}
	}
	d.noteContext(mt)
	d.add(mt)
}

// opaqueMatchText spells a match of an untyped selector as nft does: the
// implicit operators left out.
func opaqueMatchText(left, op, right string) string {
	if op == "" || op == "==" || op == "in" {
		return left + " " + right
	}
	return left + " " + op + " " + right
}

// fill sets the match's value from the right-hand side and the operator.
func (d *jsonDecoder) fill(mt *match, op string, right any) error {
	switch op {
	case "==", "!=", "in":
		mt.neg = op == "!="
		if op == "in" && len(mt.sels) == 1 && mt.sels[0].dt.isFlags() && mt.mask == nil && !isSetValue(right) {
			mt.bits = true
		}
		elems, set, anon, err := d.value(mt.sels, right)
		mt.elems, mt.set, mt.anon = elems, set, anon
		if set != "" && d.dyn[set] {
			mt.dynamic = true
		}
		return err
	case "<", ">", "<=", ">=":
		if len(mt.sels) != 1 {
			return errValue
		}
		iv, err := d.ivl(mt.sels[0], right)
		if err != nil || !bytes.Equal(iv.lo, iv.hi) {
			return errValue
		}
		e, ok := compareIvl(op, iv.lo)
		if ok {
			mt.elems = []elem{{e}}
		}
		mt.cmpv = iv.lo
		return nil
	}
	return errValue
}

func isSetValue(v any) bool {
	if s, ok := v.(string); ok && strings.HasPrefix(s, "@") {
		return true
	}
	k, _, _ := single(v)
	return k == "set"
}

// compareIvl is the interval of values op v holds for; false when none.
func compareIvl(op string, v []byte) (ivl, bool) {
	zero, ones := make([]byte, len(v)), bytes.Repeat([]byte{0xff}, len(v))
	switch op {
	case "<":
		p, ok := decBytes(v)
		return ivl{zero, p}, ok
	case "<=":
		return ivl{zero, v}, true
	case ">":
		n, ok := incBytes(v)
		return ivl{n, ones}, ok
	case ">=":
		return ivl{v, ones}, true
	}
	return ivl{}, false
}

func decBytes(b []byte) ([]byte, bool) {
	n := new(big.Int).SetBytes(b)
	if n.Sign() == 0 {
		return nil, false
	}
	return n.Sub(n, big.NewInt(1)).FillBytes(make([]byte, len(b))), true
}

func incBytes(b []byte) ([]byte, bool) {
	n := new(big.Int).SetBytes(b)
	n.Add(n, big.NewInt(1))
	if n.BitLen() > len(b)*8 {
		return nil, false
	}
	return n.FillBytes(make([]byte, len(b))), true
}

// noteContext remembers the packet family a match fixes, for rejects.
func (d *jsonDecoder) noteContext(m *match) {
	if f, ok := familyFixed(m); ok {
		d.ctx = f
	}
}

// familyFixed reports the family an nfproto (or ethertype) equality fixes.
func familyFixed(m *match) (rules.Family, bool) {
	if len(m.sels) != 1 || m.neg || m.bits || m.mask != nil || len(m.elems) != 1 || m.sels[0].field != rules.FieldNfproto {
		return "", false
	}
	iv := m.elems[0][0]
	if !bytes.Equal(iv.lo, iv.hi) {
		return "", false
	}
	switch beUint(iv.lo) {
	case 2, 0x0800:
		return rules.FamilyIPv4, true
	case 10, 0x86dd:
		return rules.FamilyIPv6, true
	}
	return "", false
}

// addDeps adds the protocol matches nft leaves implicit: "tcp dport"
// reads a TCP header only in TCP packets.
func (d *jsonDecoder) addDeps(sels []sel) {
	for _, s := range sels {
		for _, m := range d.depsOf(s.proto) {
			key := m.String()
			if d.deps[key] {
				continue
			}
			if d.deps == nil {
				d.deps = map[string]bool{}
			}
			d.deps[key] = true
			d.noteContext(m)
			d.add(m)
		}
	}
}

func (d *jsonDecoder) depsOf(proto string) []*match {
	if p, ok := l4Numbers[proto]; ok {
		return []*match{l4Match(p)}
	}
	if proto != "ip" && proto != "ip6" {
		return nil
	}
	f := rules.FamilyIPv4
	if proto == "ip6" {
		f = rules.FamilyIPv6
	}
	switch d.t.ir.family {
	case rules.FamilyInet:
		return []*match{nfprotoMatch(f)}
	case rules.FamilyNetdev, rules.FamilyBridge:
		k, _ := metaByName("protocol")
		et := []byte{0x08, 0x00}
		if f == rules.FamilyIPv6 {
			et = []byte{0x86, 0xdd}
		}
		return []*match{{sels: []sel{k.sel()}, elems: []elem{{{et, et}}}, op: "==", implicit: true}}
	}
	return nil
}

// left decodes a match's left side: selectors, and a mask ("&").
func (d *jsonDecoder) left(v any) ([]sel, []byte, bool) {
	k, x, ok := single(v)
	if !ok {
		return nil, nil, false
	}
	switch k {
	case "concat":
		list, ok := x.([]any)
		if !ok || len(list) == 0 {
			return nil, nil, false
		}
		var sels []sel
		for _, e := range list {
			s, ok := d.selector(e)
			if !ok {
				return nil, nil, false
			}
			sels = append(sels, s)
		}
		return sels, nil, true
	case "&":
		pair, ok := x.([]any)
		if !ok || len(pair) != 2 {
			return nil, nil, false
		}
		s, ok := d.selector(pair[0])
		if !ok {
			return nil, nil, false
		}
		mask, err := constant(s, pair[1])
		if err != nil {
			return nil, nil, false
		}
		return []sel{s}, mask, true
	}
	s, ok := d.selector(v)
	return []sel{s}, nil, ok
}

// constant evaluates a constant expression of s's type: a value, a list
// of flags, or "|" of them.
func constant(s sel, v any) ([]byte, error) {
	if k, x, ok := single(v); ok && k == "|" {
		pair, ok := x.([]any)
		if !ok || len(pair) != 2 {
			return nil, errValue
		}
		a, err := constant(s, pair[0])
		if err != nil {
			return nil, err
		}
		b, err := constant(s, pair[1])
		if err != nil {
			return nil, err
		}
		out := make([]byte, len(a))
		for i := range a {
			out[i] = a[i] | b[i]
		}
		return out, nil
	}
	iv, err := parseValue(s.dt, s.size, v)
	if err != nil || !bytes.Equal(iv.lo, iv.hi) {
		return nil, errValue
	}
	return iv.lo, nil
}

// selector decodes one selector expression. Ones the evaluator cannot
// read are named as nft spells them.
func (d *jsonDecoder) selector(v any) (sel, bool) {
	k, x, ok := single(v)
	if !ok {
		return sel{}, false
	}
	m, _ := x.(map[string]any)
	str := func(f string) string { s, _ := m[f].(string); return s }
	switch k {
	case "payload":
		if proto := str("protocol"); proto != "" {
			if f, ok := findPField(proto, str("field")); ok {
				return f.sel(), true
			}
			return opaqueSel(proto+" "+str("field"), 0), true
		}
		off, _ := jsonInt(m["offset"])
		n, _ := jsonInt(m["len"])
		return rawPayloadSel(str("base"), int(off), int(n)), true
	case "meta":
		if mk, ok := metaByName(str("key")); ok {
			return mk.sel(), true
		}
		return opaqueSel("meta "+str("key"), 0), true
	case "ct":
		if ck, ok := ctByName(str("key")); ok {
			return ctSel(ck, str("dir")), true
		}
		return opaqueSel("ct "+str("key"), 0), true
	case "fib":
		flags := strList(m["flags"])
		var ordered []string
		for _, f := range fibFlagOrder {
			for _, g := range flags {
				if f == g {
					ordered = append(ordered, f)
				}
			}
		}
		return fibSel(ordered, str("result")), true
	case "socket":
		return opaqueSel("socket "+str("key"), 0), true
	case "numgen":
		mod, _ := jsonInt(m["mod"])
		off, _ := jsonInt(m["offset"])
		return opaqueSel(numgenName(str("mode"), uint32(mod), uint32(off)), 4), true
	case "rt", "osf", "ipsec":
		return opaqueSel(k+" "+str("key"), 0), true
	case "tcp option":
		return opaqueSel(strings.TrimSpace("tcp option "+str("name")+" "+str("field")), 0), true
	case "exthdr":
		return opaqueSel(strings.TrimSpace("exthdr "+str("name")+" "+str("field")), 0), true
	}
	return opaqueSel(compact(v), 0), true
}

func numgenName(mode string, mod, off uint32) string {
	s := fmt.Sprintf("numgen %s mod %d", mode, mod)
	if off != 0 {
		s += fmt.Sprintf(" offset %d", off)
	}
	return s
}

// leftName spells a left side the decoder could not take apart.
func leftName(v any) string {
	k, x, ok := single(v)
	if !ok {
		return compact(v)
	}
	if k == "&" {
		if pair, ok := x.([]any); ok && len(pair) == 2 {
			return leftName(pair[0]) + " & " + rightText(pair[1])
		}
	}
	return compact(v)
}

// rightText spells a JSON value roughly as nft would.
func rightText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "exists"
		}
		return "missing"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = rightText(e)
		}
		return strings.Join(parts, ",")
	}
	return compact(v)
}

// value decodes a right side into elements: a value, an anonymous set, or
// a named set.
func (d *jsonDecoder) value(sels []sel, v any) (elems []elem, set string, anon bool, err error) {
	if s, ok := v.(string); ok && strings.HasPrefix(s, "@") {
		name := s[1:]
		sv := d.setValue(name, sels)
		return sv.elems, name, false, sv.err
	}
	if k, x, ok := single(v); ok && k == "set" {
		list, ok := x.([]any)
		if !ok {
			list = []any{x}
		}
		for _, e := range list {
			el, err := d.elem(sels, e)
			if err != nil {
				return nil, "", true, err
			}
			elems = append(elems, el)
		}
		sortElems(elems)
		return elems, "", true, nil
	}
	el, err := d.elem(sels, v)
	if err != nil {
		return nil, "", false, err
	}
	return []elem{el}, "", false, nil
}

// setValue reads a named set's elements for sels, once.
func (d *jsonDecoder) setValue(name string, sels []sel) setValue {
	s := d.t.sets[name]
	if s == nil {
		return setValue{err: fmt.Errorf("unknown set %q", name)}
	}
	key := selsName(sels)
	if sv, ok := s.parsed[key]; ok {
		return sv
	}
	var sv setValue
	for _, e := range s.elems {
		k := e
		var data any
		if s.isMap {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				sv.err = errValue
				break
			}
			k, data = pair[0], pair[1]
		}
		el, err := d.elem(sels, k)
		if err != nil {
			sv.err = err
			break
		}
		sv.elems = append(sv.elems, el)
		sv.data = append(sv.data, data)
	}
	if !s.isMap {
		sortElems(sv.elems)
	}
	s.parsed[key] = sv
	return sv
}

// elem decodes one element: an interval per selector.
func (d *jsonDecoder) elem(sels []sel, v any) (elem, error) {
	if k, x, ok := single(v); ok && k == "elem" {
		m, _ := x.(map[string]any)
		return d.elem(sels, m["val"])
	}
	if len(sels) == 1 {
		iv, err := d.ivl(sels[0], v)
		return elem{iv}, err
	}
	k, x, ok := single(v)
	list, _ := x.([]any)
	if !ok || k != "concat" || len(list) != len(sels) {
		return nil, errValue
	}
	out := make(elem, len(sels))
	for i, s := range sels {
		iv, err := d.ivl(s, list[i])
		if err != nil {
			return nil, err
		}
		out[i] = iv
	}
	return out, nil
}

// ivl decodes one value, prefix or range of s.
func (d *jsonDecoder) ivl(s sel, v any) (ivl, error) {
	k, x, ok := single(v)
	switch {
	case ok && k == "elem":
		m, _ := x.(map[string]any)
		return d.ivl(s, m["val"])
	case ok && k == "prefix":
		m, _ := x.(map[string]any)
		addr, _ := m["addr"].(string)
		n, _ := jsonInt(m["len"])
		p, err := netip.ParsePrefix(fmt.Sprintf("%s/%d", addr, n))
		if err != nil || p.Addr().BitLen() != s.size*8 {
			return ivl{}, errValue
		}
		iv := rules.PrefixInterval(p)
		return ivl{iv.Lo, iv.Hi}, nil
	case ok && k == "range":
		pair, ok := x.([]any)
		if !ok || len(pair) != 2 {
			return ivl{}, errValue
		}
		lo, err := parseValue(s.dt, s.size, pair[0])
		if err != nil {
			return ivl{}, err
		}
		hi, err := parseValue(s.dt, s.size, pair[1])
		if err != nil || bytes.Compare(lo.lo, hi.hi) > 0 {
			return ivl{}, errValue
		}
		return ivl{lo.lo, hi.hi}, nil
	case ok && k == "|":
		b, err := constant(s, v)
		return ivl{b, b}, err
	}
	return parseValue(s.dt, s.size, v)
}
