package nft

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/reject"
	"github.com/perimeter-dev/perimeter/rules"
)

// The JSON reader's statements: logs, limits, rejects, marks, sets,
// verdict maps, iptables extensions and NAT.

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
		d.add(limitItem(fmt.Sprintf("limit name %q", s), rules.Rate{}, false))
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
	d.add(limitItem(limitText(rate, unit, burst, isBytes, m["inv"] == true), packetRate(rate, unit, burst, isBytes), m["inv"] == true))
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
		c, ok := reject.ICMPXCode(code)
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
// statement inside may stop the rule (see dynsetItem).
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
	var subs []item
	for _, st := range stmts {
		sub := &jsonDecoder{t: d.t, dyn: d.dyn}
		sub.stmt(st)
		subs = append(subs, sub.items...)
	}
	d.add(dynsetItem(dynsetText(op, strings.TrimPrefix(set, "@"), selsName(sels), subs), subs))
}

// dynsetText spells a dynset statement with the statements inside it.
func dynsetText(op, set, key string, subs []item) string {
	inner := key
	for _, it := range subs {
		inner += " " + itemText(it)
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

// xtTarget: a target whose options are unknown. The logs are logs; the
// other targets that never end the walk are undecided (marks and notrack
// change what later rules see); any other may end it.
func (d *jsonDecoder) xtTarget(name, text string) {
	switch {
	case name == "LOG" || name == "NFLOG":
		d.add(&effect{st: rules.Statement{Kind: rules.StmtLog, Log: &rules.Log{Kind: name}, Text: text}})
	case rules.NonTerminating(name):
		d.opaque(text)
	default:
		d.add(unknownTarget(d.t.ir, name, text))
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
