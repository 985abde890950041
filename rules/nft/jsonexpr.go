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
		d.opaque(ctCountText(n, m["inv"] == true))
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
	if b, ok := m["right"].(bool); ok && len(sels) == 1 && strings.HasPrefix(sels[0].name, "fib ") {
		// "fib ... oif missing": a test of presence.
		sels[0].dt, sels[0].size = dtBool, 1
		_ = b
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

func (d *jsonDecoder) log(v any) {
	m, _ := v.(map[string]any)
	l := rules.Log{Kind: "log"}
	l.Prefix, _ = m["prefix"].(string)
	l.Level, _ = m["level"].(string)
	if g, ok := jsonInt(m["group"]); ok {
		l.Group = int(g)
	}
	d.add(&effect{st: rules.Statement{Kind: rules.StmtLog, Log: &l, Text: logText(l, strings.Join(strList(m["flags"]), ","))}})
}

func (d *jsonDecoder) limit(v any) {
	if s, ok := v.(string); ok {
		d.add(&opaqueItem{text: fmt.Sprintf("limit name %q", s), limit: true})
		return
	}
	m, _ := v.(map[string]any)
	rate, _ := jsonUint(m["rate"])
	burst, _ := jsonUint(m["burst"])
	per, _ := m["per"].(string)
	unit := unitSeconds[per]
	ru, isBytes := m["rate_unit"].(string)
	if isBytes {
		rate *= byteUnits[ru]
		if bu, ok := m["burst_unit"].(string); ok {
			burst *= byteUnits[bu]
		}
	}
	d.add(&opaqueItem{text: limitText(rate, unit, burst, isBytes, m["inv"] == true), limit: true})
}

func (d *jsonDecoder) quota(v any) {
	if s, ok := v.(string); ok {
		d.opaque(fmt.Sprintf("quota name %q", s))
		return
	}
	m, _ := v.(map[string]any)
	n, _ := jsonUint(m["val"])
	if u, ok := m["val_unit"].(string); ok {
		n *= byteUnits[u]
	}
	d.opaque(quotaText(n, m["inv"] == true))
}

func (d *jsonDecoder) reject(v any) {
	m, _ := v.(map[string]any)
	typ, _ := m["type"].(string)
	code, _ := m["expr"].(string)
	fam := d.t.ir.family
	switch typ {
	case "tcp reset":
		// nft writes "meta l4proto tcp" before it, and lists the rule
		// without.
		d.addDeps([]sel{{proto: "tcp"}})
		d.add(rejectItem(fam, d.ctx, rejectTCP, 0))
	case "icmpx":
		c, ok := lookupCode(icmpxNames, code)
		if !ok {
			d.opaque("reject " + compact(v))
			return
		}
		d.add(rejectItem(fam, d.ctx, rejectICMPX, c))
	case "icmp", "icmpv6":
		dt, ctx := dtICMPCode, rules.FamilyIPv4
		if typ == "icmpv6" {
			dt, ctx = dtICMPv6Code, rules.FamilyIPv6
		}
		n, err := parseNumber(dt, code)
		if err != nil || !n.IsUint64() || n.Uint64() > 0xff {
			d.opaque("reject " + compact(v))
			return
		}
		d.add(rejectItem(fam, ctx, rejectICMP, uint8(n.Uint64())))
	case "":
		// The default: port unreachable in the table's own terms.
		switch fam {
		case rules.FamilyIPv4:
			d.add(rejectItem(fam, d.ctx, rejectICMP, 3))
		case rules.FamilyIPv6:
			d.add(rejectItem(fam, d.ctx, rejectICMP, 4))
		default:
			d.add(rejectItem(fam, d.ctx, rejectICMPX, 1))
		}
	default:
		d.opaque("reject " + compact(v))
	}
}

func lookupCode(names map[uint8]string, name string) (uint8, bool) {
	for c, n := range names {
		if n == name {
			return c, true
		}
	}
	return 0, false
}

func (d *jsonDecoder) queue(v any) {
	m, _ := v.(map[string]any)
	var num, total uint64
	if k, x, ok := single(m["num"]); ok && k == "range" {
		pair, _ := x.([]any)
		if len(pair) == 2 {
			lo, _ := jsonUint(pair[0])
			hi, _ := jsonUint(pair[1])
			num, total = lo, hi-lo+1
		}
	} else {
		num, _ = jsonUint(m["num"])
	}
	q := queueText(uint16(num), uint16(total), strList(m["flags"]))
	d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: q}, text: "queue " + q})
}

// mangle decodes "meta mark set ..." and "ct mark set ..."; other keys
// are recorded.
func (d *jsonDecoder) mangle(v any) {
	m, _ := v.(map[string]any)
	dst, ok := markName(m["key"])
	if !ok {
		d.add(other(leftName(m["key"]) + " set " + rightText(m["value"])))
		return
	}
	src, and, xor, ok := markExpr(m["value"])
	if ok {
		if st, ok := markStmt(dst, src, and, xor); ok {
			d.add(&effect{st: st})
			return
		}
	}
	d.opaque(dst + " set " + rightText(m["value"]))
}

func markName(v any) (string, bool) {
	k, x, ok := single(v)
	m, _ := x.(map[string]any)
	if !ok || m["key"] != "mark" || m["dir"] != nil {
		return "", false
	}
	switch k {
	case "meta":
		return "meta mark", true
	case "ct":
		return "ct mark", true
	}
	return "", false
}

// markExpr reads a mark value: (src & and) ^ xor, src "" for a constant.
func markExpr(v any) (src string, and, xor uint32, ok bool) {
	if n, ok := jsonUint(v); ok {
		return "", 0, uint32(n), n <= 0xffffffff
	}
	if s, ok := markName(v); ok {
		return s, ^uint32(0), 0, true
	}
	k, x, ok := single(v)
	pair, _ := x.([]any)
	if !ok || len(pair) != 2 {
		return "", 0, 0, false
	}
	inner, c := pair[0], pair[1]
	n, nok := jsonUint(c)
	if !nok || n > 0xffffffff {
		return "", 0, 0, false
	}
	src, and, xor, ok = markExpr(inner)
	if !ok || src == "" {
		return "", 0, 0, false
	}
	u := uint32(n)
	switch k {
	case "&":
		return src, and & u, xor & u, true
	case "|":
		return src, and &^ u, xor | u, true
	case "^":
		return src, and, xor ^ u, true
	}
	return "", 0, 0, false
}

// dynset decodes "add @set { key }", "update @set { key limit ... }",
// and the older meter statement. It always holds, unless a stateful
// statement inside (a limit, ct count or quota) may stop the rule.
func (d *jsonDecoder) dynset(k string, v any) {
	m, _ := v.(map[string]any)
	op, _ := m["op"].(string)
	set, _ := m[k].(string)
	if k == "meter" {
		set, _ = m["name"].(string)
	}
	keyExpr := m["elem"]
	if k == "meter" {
		keyExpr = m["key"]
	}
	var stmts []any
	if ek, ex, ok := single(keyExpr); ok && ek == "elem" {
		em, _ := ex.(map[string]any)
		keyExpr = em["val"]
	}
	if list, ok := m["stmt"].([]any); ok {
		stmts = list
	} else if st, ok := m["stmt"]; ok {
		stmts = []any{st}
	}
	sels, _, ok := d.left(keyExpr)
	if !ok {
		d.opaque(k + " " + compact(v))
		return
	}
	d.addDeps(sels)
	stateful := false
	var extra []string
	for _, st := range stmts {
		sk, _, _ := single(st)
		sub := &jsonDecoder{t: d.t, dyn: d.dyn}
		sub.stmt(st)
		for _, it := range sub.items {
			extra = append(extra, itemText(it))
		}
		if sk == "limit" || sk == "ct count" || sk == "quota" {
			stateful = true
		}
	}
	text := dynsetText(op, strings.TrimPrefix(set, "@"), selsName(sels), extra)
	if stateful {
		d.opaque(text)
		return
	}
	d.add(other(text))
}

func dynsetText(op, set, key string, extra []string) string {
	inner := key
	if len(extra) > 0 {
		inner += " " + strings.Join(extra, " ")
	}
	return fmt.Sprintf("%s @%s { %s }", op, set, inner)
}

// vmap decodes a verdict map.
func (d *jsonDecoder) vmap(v any) {
	m, _ := v.(map[string]any)
	sels, mask, ok := d.left(m["key"])
	if !ok || mask != nil {
		d.opaque("vmap " + compact(v))
		return
	}
	d.addDeps(sels)
	it := &vmapItem{sels: sels}
	var pairs []any
	if s, ok := m["data"].(string); ok && strings.HasPrefix(s, "@") {
		it.set = s[1:]
		js := d.t.sets[it.set]
		if js == nil || !js.isMap {
			d.opaque("vmap " + compact(v))
			return
		}
		pairs = js.elems
	} else if k, x, ok := single(m["data"]); ok && k == "set" {
		pairs, _ = x.([]any)
	}
	for _, p := range pairs {
		pair, ok := p.([]any)
		if !ok || len(pair) != 2 {
			d.opaque("vmap " + compact(v))
			return
		}
		e, err := d.elem(sels, pair[0])
		vk, vv, vok := single(pair[1])
		vd, isVerdict := jsonVerdict(vk, vv)
		if err != nil || !vok || !isVerdict {
			d.opaque("vmap " + compact(v))
			return
		}
		it.entries = append(it.entries, vmapEntry{e, vd})
	}
	it.text = vmapText(it)
	d.add(it)
}

// vmapText spells a verdict map.
func vmapText(it *vmapItem) string {
	if it.set != "" {
		return fmt.Sprintf("%s vmap @%s", selsName(it.sels), it.set)
	}
	es := make([]vmapEntry, len(it.entries))
	copy(es, it.entries)
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = elemString(it.sels, e.e) + " : " + verdictText(e.v)
	}
	return fmt.Sprintf("%s vmap { %s }", selsName(it.sels), strings.Join(parts, ", "))
}

// xtStmt handles an iptables extension kept by iptables-nft: its JSON
// carries only the name.
func (d *jsonDecoder) xtStmt(v any) {
	d.xt = true
	m, _ := v.(map[string]any)
	typ, _ := m["type"].(string)
	name, _ := m["name"].(string)
	text := fmt.Sprintf("xt %s %q", typ, name)
	if typ != "target" {
		if name != "comment" {
			d.opaque(text)
		}
		return
	}
	d.xtTarget(name, text)
}

// xtTarget: a target whose options are unknown. Those that only record
// go on; the rest end the rule in a way perimeter cannot tell.
func (d *jsonDecoder) xtTarget(name, text string) {
	switch name {
	case "LOG":
		d.add(&effect{st: rules.Statement{Kind: rules.StmtLog, Log: &rules.Log{Kind: "LOG"}, Text: text}})
	case "NFLOG":
		d.add(&effect{st: rules.Statement{Kind: rules.StmtLog, Log: &rules.Log{Kind: "NFLOG"}, Text: text}})
	case "CT", "MARK", "CONNMARK", "TRACE", "TCPMSS", "CHECKSUM", "AUDIT", "SET", "CLASSIFY", "DSCP", "TOS",
		"TTL", "HL", "SECMARK", "CONNSECMARK", "IDLETIMER", "LED", "RATEEST", "TEE", "NOTRACK":
		d.opaque(text) // marks and notrack change what later rules see
	default:
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: text}, text: text})
	}
}

// nat decodes dnat, snat, masquerade and redirect.
func (d *jsonDecoder) nat(k string, v any) {
	m, _ := v.(map[string]any)
	if k == "snat" || k == "masquerade" {
		// Source NAT ends the nat chain and changes nothing a prober sees.
		text := k
		if a, ok := m["addr"]; ok {
			text += " to " + rightText(a)
		}
		if p, ok := m["port"]; ok {
			text += ":" + rightText(p)
		}
		d.add(other(text))
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Accept}})
		return
	}
	kind := rules.DNAT
	if k == "redirect" {
		kind = rules.Redirect
	}
	var fam rules.Family
	if f, ok := m["family"].(string); ok && d.t.ir.family == rules.FamilyInet {
		fam = familyByName[f]
	}
	addr, port := m["addr"], m["port"]
	if k == "redirect" {
		addr = nil
	}
	if mk, mx, ok := single(addr); ok && mk == "map" {
		d.natMap(kind, fam, mx, true)
		return
	}
	if mk, mx, ok := single(port); ok && mk == "map" {
		d.natMap(kind, fam, mx, false)
		return
	}
	var t natTarget
	if addr != nil {
		lo, hi, ok := natAddr(addr)
		if !ok {
			d.opaque(k + " " + compact(v))
			return
		}
		t.addr, t.addrHi = lo, hi
	}
	if port != nil {
		lo, hi, ok := natPort(port)
		if !ok {
			d.opaque(k + " " + compact(v))
			return
		}
		t.port, t.portHi = lo, hi
	}
	d.add(natItem(kind, fam, t, natStmtText(kind, fam, t.String())))
}

func natStmtText(kind rules.VerdictKind, fam rules.Family, target string) string {
	name := "dnat"
	if kind == rules.Redirect {
		name = "redirect"
	}
	if fam != "" {
		name += " " + familyName(fam)
	}
	if target == "" {
		return name
	}
	return name + " to " + target
}

// natItem is a NAT verdict; in an inet table a NAT of one family does
// nothing to packets of the other.
func natItem(kind rules.VerdictKind, fam rules.Family, t natTarget, text string) *verdictItem {
	v := rules.Verdict{Kind: kind, NAT: t.model()}
	if fam == "" {
		return &verdictItem{v: v, text: text}
	}
	return &verdictItem{v: v, text: text, variants: []variant{{matches: []*match{nfprotoMatch(fam)}, v: v}}}
}

func natAddr(v any) (netip.Addr, netip.Addr, bool) {
	switch x := v.(type) {
	case string:
		a, err := netip.ParseAddr(x)
		return a, netip.Addr{}, err == nil
	}
	k, x, ok := single(v)
	if !ok {
		return netip.Addr{}, netip.Addr{}, false
	}
	switch k {
	case "range":
		pair, _ := x.([]any)
		if len(pair) == 2 {
			lo, _, ok1 := natAddr(pair[0])
			hi, _, ok2 := natAddr(pair[1])
			return lo, hi, ok1 && ok2
		}
	case "prefix":
		m, _ := x.(map[string]any)
		addr, _ := m["addr"].(string)
		n, _ := jsonInt(m["len"])
		p, err := netip.ParsePrefix(fmt.Sprintf("%s/%d", addr, n))
		if err == nil {
			iv := rules.PrefixInterval(p)
			lo, _ := netip.AddrFromSlice(iv.Lo)
			hi, _ := netip.AddrFromSlice(iv.Hi)
			return lo, hi, true
		}
	}
	return netip.Addr{}, netip.Addr{}, false
}

func natPort(v any) (uint16, uint16, bool) {
	if n, ok := jsonUint(v); ok && n <= 0xffff {
		return uint16(n), 0, true
	}
	if k, x, ok := single(v); ok && k == "range" {
		pair, _ := x.([]any)
		if len(pair) == 2 {
			lo, ok1 := jsonUint(pair[0])
			hi, ok2 := jsonUint(pair[1])
			return uint16(lo), uint16(hi), ok1 && ok2 && lo <= 0xffff && hi <= 0xffff
		}
	}
	return 0, 0, false
}

// natMap decodes a NAT whose address (or port) a map of the packet's key
// gives: one variant per element.
func (d *jsonDecoder) natMap(kind rules.VerdictKind, fam rules.Family, v any, isAddr bool) {
	m, _ := v.(map[string]any)
	sels, mask, ok := d.left(m["key"])
	if !ok || mask != nil {
		d.opaque("nat map " + compact(v))
		return
	}
	d.addDeps(sels)
	var keys []elem
	var data []any
	setText := ""
	if s, ok := m["data"].(string); ok && strings.HasPrefix(s, "@") {
		sv := d.setValue(s[1:], sels)
		if sv.err != nil {
			d.opaque("nat map " + compact(v))
			return
		}
		keys, data, setText = sv.elems, sv.data, s
	} else if k, x, ok := single(m["data"]); ok && k == "set" {
		list, _ := x.([]any)
		for _, p := range list {
			pair, ok := p.([]any)
			if !ok || len(pair) != 2 {
				d.opaque("nat map " + compact(v))
				return
			}
			e, err := d.elem(sels, pair[0])
			if err != nil {
				d.opaque("nat map " + compact(v))
				return
			}
			keys, data = append(keys, e), append(data, pair[1])
		}
	}
	var targets []natTarget
	for _, x := range data {
		t, ok := natData(x, isAddr)
		if !ok {
			d.opaque("nat map " + compact(v))
			return
		}
		targets = append(targets, t)
	}
	d.add(natMapItem(kind, fam, sels, keys, targets, setText))
}

// natData reads one map element's NAT target: an address, an address
// and a port ("concat"), or a port.
func natData(v any, isAddr bool) (natTarget, bool) {
	var t natTarget
	if !isAddr {
		lo, hi, ok := natPort(v)
		t.port, t.portHi = lo, hi
		return t, ok
	}
	if k, x, ok := single(v); ok && k == "concat" {
		pair, _ := x.([]any)
		if len(pair) != 2 {
			return t, false
		}
		a, _, ok1 := natAddr(pair[0])
		p, _, ok2 := natPort(pair[1])
		t.addr, t.port = a, p
		return t, ok1 && ok2
	}
	lo, hi, ok := natAddr(v)
	t.addr, t.addrHi = lo, hi
	return t, ok
}

// natMapItem builds the variants of a NAT through a map.
func natMapItem(kind rules.VerdictKind, fam rules.Family, sels []sel, keys []elem, targets []natTarget, setText string) *verdictItem {
	it := &verdictItem{}
	var parts []string
	for i, k := range keys {
		ms := []*match{{sels: sels, elems: []elem{k}, op: "==", implicit: true}}
		if fam != "" {
			ms = append(ms, nfprotoMatch(fam))
		}
		it.variants = append(it.variants, variant{matches: ms, v: rules.Verdict{Kind: kind, NAT: targets[i].model()}})
		parts = append(parts, elemString(sels, k)+" : "+targets[i].String())
	}
	mapText := setText
	if mapText == "" {
		mapText = "{ " + strings.Join(parts, ", ") + " }"
	}
	it.text = natStmtText(kind, fam, selsName(sels)+" map "+mapText)
	if len(it.variants) == 0 {
		// An empty map: the lookup never succeeds.
		it.variants = []variant{{matches: []*match{{sels: sels, op: "==", implicit: true}}, v: rules.Verdict{Kind: kind}}}
	}
	return it
}

func (d *jsonDecoder) tproxy(v any) {
	m, _ := v.(map[string]any)
	var t natTarget
	if a, ok := m["addr"]; ok {
		lo, _, ok := natAddr(a)
		if !ok {
			d.opaque("tproxy " + compact(v))
			return
		}
		t.addr = lo
	}
	if p, ok := m["port"]; ok {
		lo, _, ok := natPort(p)
		if !ok {
			d.opaque("tproxy " + compact(v))
			return
		}
		t.port = lo
	}
	d.add(&verdictItem{v: rules.Verdict{Kind: rules.Tproxy, NAT: t.model()}, text: "tproxy to " + t.String()})
}
