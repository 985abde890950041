//go:build linux

package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/perimeter-dev/perimeter/rules"
)

// tableReader decodes the rules of one table.
type tableReader struct {
	t      *irTable // for notes
	fam    rules.Family
	sets   map[string]*Set
	cache  map[string]map[string]setKeys
	ifaces map[uint32]string
	dyn    map[string]bool
	xt     bool
}

func (tr *tableReader) rule(r *nftables.Rule) *irRule {
	d := &nlDecoder{tr: tr, fam: tr.fam, ifaces: tr.ifaces, regs: regs{}}
	switch tr.fam {
	case rules.FamilyIPv4, rules.FamilyIPv6:
		d.nh = tr.fam
	}
	es := r.Exprs
	for i := 0; i < len(es); i++ {
		// A gte followed by an lte of the same register is nft's range.
		if lo, ok := es[i].(*expr.Cmp); ok && lo.Op == expr.CmpOpGte && i+1 < len(es) {
			if hi, ok := es[i+1].(*expr.Cmp); ok && hi.Op == expr.CmpOpLte && hi.Register == lo.Register {
				d.rangeCmp(lo.Register, false, lo.Data, hi.Data)
				i++
				continue
			}
		}
		d.expr(es[i])
	}
	return &irRule{handle: r.Handle, items: d.items, comment: ruleComment(r.UserData)}
}

// nlDecoder follows one rule's expressions.
type nlDecoder struct {
	tr     *tableReader
	fam    rules.Family
	ifaces map[uint32]string
	regs   regs
	nh     rules.Family // what the network header is: fixed by the family or a match
	l4     string       // what the transport header is, by the last l4proto match
	items  []item
}

func (d *nlDecoder) add(it item)        { d.items = append(d.items, it) }
func (d *nlDecoder) opaque(text string) { d.add(&opaqueItem{text: text}) }

func (d *nlDecoder) expr(e expr.Any) {
	switch x := e.(type) {
	case *expr.Meta:
		d.meta(x)
	case *expr.Payload:
		d.payload(x)
	case *expr.Fib:
		d.fib(x)
	case *expr.Bitwise:
		d.bitwise(x)
	case *expr.Immediate:
		d.regs.write(x.Register, &regVal{imm: x.Data, size: len(x.Data)})
	case *expr.Cmp:
		d.cmp(x)
	case *expr.Range:
		d.rangeCmp(x.Register, x.Op == expr.CmpOpNeq, x.FromData, x.ToData)
	case *expr.Lookup:
		d.lookup(x)
	case *expr.Verdict:
		d.verdict(x)
	default:
		d.statement(e)
	}
}

func (d *nlDecoder) meta(x *expr.Meta) {
	k, ok := metaByNum(uint32(x.Key))
	if x.SourceRegister {
		d.metaSet(k, ok, x.Register)
		return
	}
	if !ok {
		d.regs.write(x.Register, &regVal{unknown: fmt.Sprintf("meta key %d", x.Key), size: 4})
		return
	}
	s := k.sel()
	v := &regVal{parts: []part{{s, s.size}}, host: k.host, size: k.size}
	if k.name == "iif" || k.name == "oif" {
		v.index, v.host = true, false
	}
	d.regs.write(x.Register, v)
}

func (d *nlDecoder) ct(x *ctExpr) {
	k, ok := ctByNum(x.key)
	if x.set {
		d.ctSet(k, ok, x.reg)
		return
	}
	if !ok {
		d.regs.write(x.reg, &regVal{unknown: fmt.Sprintf("ct key %d", x.key), size: 4})
		return
	}
	dir := map[int]string{0: "original", 1: "reply"}[x.dir]
	s := ctSel(k, dir)
	d.regs.write(x.reg, &regVal{parts: []part{{s, s.size}}, host: k.host, size: k.size})
}

func (d *nlDecoder) fib(x *expr.Fib) {
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{x.FlagSADDR, "saddr"}, {x.FlagDADDR, "daddr"}, {x.FlagMARK, "mark"}, {x.FlagIIF, "iif"}, {x.FlagOIF, "oif"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	result := "oif"
	switch {
	case x.ResultADDRTYPE:
		result = "type"
	case x.ResultOIFNAME:
		result = "oifname"
	}
	s := fibSel(flags, result)
	v := &regVal{parts: []part{{s, s.size}}, host: s.host, size: s.size}
	if x.FlagPRESENT {
		s = fibPresence(s, flags, result)
		v = &regVal{parts: []part{{s, 1}}, size: 1}
	} else if result == "oif" {
		v.index, v.host = true, false
		s.dt, s.size = dtIfname, ifnameSize
		v.parts = []part{{s, ifnameSize}}
	}
	d.regs.write(x.Register, v)
}

// payload decodes a load (or a write) of packet bytes.
func (d *nlDecoder) payload(x *expr.Payload) {
	base, proto := d.base(x.Base)
	off, n := int(x.Offset), int(x.Len)
	if x.OperationType == expr.PayloadWrite {
		d.add(other(fmt.Sprintf("@%s,%d,%d set", base, off*8, n*8)))
		return
	}
	v := &regVal{size: n}
	if parts, ok := coverFields(pfields[proto], off, n); ok {
		v.parts = parts
	} else {
		s := rawPayloadSel(base, off*8, n*8)
		v.parts = []part{{s, s.size}}
	}
	d.regs.write(x.DestRegister, v)
}

// base names the header a payload expression reads, and the protocol the
// rule's earlier matches say it holds.
func (d *nlDecoder) base(b expr.PayloadBase) (string, string) {
	switch b {
	case expr.PayloadBaseLLHeader:
		return baseLL, "ether"
	case expr.PayloadBaseNetworkHeader:
		switch d.nh {
		case rules.FamilyIPv4:
			return baseNH, "ip"
		case rules.FamilyIPv6:
			return baseNH, "ip6"
		}
		return baseNH, ""
	case expr.PayloadBaseTransportHeader:
		if d.l4 == "" {
			return baseTH, "th"
		}
		return baseTH, d.l4
	}
	return "ih", ""
}

// coverFields splits a load of n bytes at off into the fields it covers:
// whole fields, the last possibly in part.
func coverFields(fields []pfield, off, n int) ([]part, bool) {
	var out []part
	for n > 0 {
		f, ok := fieldAt(fields, off, n)
		if !ok {
			return nil, false
		}
		take := min(f.len, n)
		out = append(out, part{f.sel(), take})
		off, n = off+take, n-take
	}
	return out, len(out) > 0
}

// fieldAt picks the field starting at off: the longest that fits in n
// bytes, or, when none fits, the shortest (loaded in part).
func fieldAt(fields []pfield, off, n int) (pfield, bool) {
	var fit, over *pfield
	for i := range fields {
		f := &fields[i]
		switch {
		case f.off != off:
		case f.len <= n && (fit == nil || f.len > fit.len):
			fit = f
		case f.len > n && (over == nil || f.len < over.len):
			over = f
		}
	}
	if fit != nil {
		return *fit, true
	}
	if over != nil {
		return *over, true
	}
	return pfield{}, false
}

func (d *nlDecoder) bitwise(x *expr.Bitwise) {
	src := d.regs.read(x.SourceRegister)
	if src == nil || src.imm != nil || src.mapv != nil || x.Mask == nil {
		d.regs.write(x.DestRegister, &regVal{unknown: "bitwise", size: int(x.Len)})
		return
	}
	v := *src
	mask, xor := bytes.Clone(x.Mask), bytes.Clone(x.Xor)
	if len(xor) == 0 {
		xor = make([]byte, len(mask))
	}
	if src.mask != nil && len(src.mask) == len(mask) {
		// (a & m1 ^ x1) & m2 ^ x2 = a & (m1 & m2) ^ (x1 & m2 ^ x2)
		for i := range mask {
			xor[i] ^= src.xor[i] & mask[i]
			mask[i] &= src.mask[i]
		}
	}
	v.mask, v.xor = mask, xor
	d.regs.write(x.DestRegister, &v)
}

// byteorder converts a register between host and network byte order, as
// nft does before an interval lookup of a host-order value.
func (d *nlDecoder) byteorder(b *byteorderExpr) {
	src := d.regs.read(b.sreg)
	if src == nil || src.mask != nil || src.index || b.size != 2 && b.size != 4 && b.size != 8 {
		d.regs.write(b.dreg, &regVal{unknown: "byteorder", size: int(b.length)})
		return
	}
	v := *src
	v.host = b.op == byteorderNtoh
	d.regs.write(b.dreg, &v)
}

// cmp turns a comparison into a match.
func (d *nlDecoder) cmp(x *expr.Cmp) {
	v := d.regs.read(x.Register)
	if v == nil || v.unknown != "" {
		d.undecodable(v)
		return
	}
	op := map[expr.CmpOp]string{expr.CmpOpEq: "==", expr.CmpOpNeq: "!=", expr.CmpOpLt: "<",
		expr.CmpOpLte: "<=", expr.CmpOpGt: ">", expr.CmpOpGte: ">="}[x.Op]
	if v.imm != nil || v.mapv != nil || len(v.parts) == 0 {
		d.opaque(fmt.Sprintf("(comparison of a computed value %s 0x%x)", op, x.Data))
		return
	}
	if len(v.parts) > 1 {
		d.mergedCmp(v, op, x.Data)
		return
	}
	p := v.parts[0]
	if d.presenceCmp(p.s, op, x.Data) {
		return
	}
	if p.n < p.s.size {
		d.prefixCmp(v, op, x.Data)
		return
	}
	if p.s.dt == dtIfname && len(x.Data) < v.size && x.Data[len(x.Data)-1] == 0 && v.mask == nil {
		// A name and its NUL (iptables-nft's "-i lo"): that name exactly.
		data := ifaceKey(cstring(x.Data))
		d.addMatch(&match{sels: []sel{p.s}, neg: op == "!=", op: op, elems: []elem{{{data, data}}}})
		return
	}
	if len(x.Data) < v.size && !v.host && !v.index && v.mask == nil {
		// nft compares only the bytes it gives: "iifname eth*" compares
		// three.
		d.prefixCmp(&regVal{parts: []part{{p.s, len(x.Data)}}, size: len(x.Data)}, op, x.Data)
		return
	}
	data, err := d.convert(v, x.Data)
	if err != nil && v.index && len(x.Data) == 4 {
		// An interface the namespace no longer has: nft prints its index.
		d.opaque(opaqueMatchText(p.s.name, op, fmt.Sprint(ne.Uint32(x.Data))))
		return
	}
	if err != nil || len(data) != p.s.size {
		d.opaque(fmt.Sprintf("%s %s 0x%x", p.s.name, op, x.Data))
		return
	}
	m := &match{sels: []sel{p.s}, op: op}
	switch {
	case v.mask != nil:
		d.maskedCmp(m, v, op, data)
		return
	case op == "==" || op == "!=":
		m.neg = op == "!="
		m.elems = []elem{{{data, data}}}
	default:
		iv, ok := compareIvl(op, data)
		if ok {
			m.elems = []elem{{iv}}
		}
		m.op, m.cmpv = op, data
	}
	d.addMatch(m)
}

// presenceCmp adds a test of presence, if the comparison is one: a
// boolean (fib ... oif exists: the kernel stores one byte), or the output
// interface of "fib saddr . iif oif" compared with none, nft's spelling of
// a reverse-path check.
func (d *nlDecoder) presenceCmp(s sel, op string, data []byte) bool {
	if op != "==" && op != "!=" {
		return false
	}
	b := []byte{0}
	switch rp := fibPresenceNamed(s); {
	case s.dt == dtBool:
		if !allZero(data) {
			b[0] = 1
		}
	case rp.field != noField && allZero(data):
		s = rp
	default:
		return false
	}
	d.addMatch(&match{sels: []sel{s}, neg: op == "!=", op: op, elems: []elem{{{b, b}}}})
	return true
}

// undecodable: a cmp or lookup reads a register that nothing perimeter
// could decode wrote, an expression the nftables package dropped.
func (d *nlDecoder) undecodable(v *regVal) {
	what := "an expression perimeter cannot decode"
	if v != nil && v.unknown != "" {
		what = v.unknown
	}
	d.opaque("(match on " + what + ")")
}

// maskedCmp handles "(value & mask) ^ xor op data": a flag test, a prefix
// or a masked value.
func (d *nlDecoder) maskedCmp(m *match, v *regVal, op string, data []byte) {
	s := m.sels[0]
	mask, _ := d.convert(&regVal{host: v.host}, v.mask)
	xor, _ := d.convert(&regVal{host: v.host}, v.xor)
	if v.index || len(mask) != len(data) || !allZero(xor) {
		d.opaque(fmt.Sprintf("%s & 0x%x %s 0x%x", s.name, mask, op, data))
		return
	}
	if op != "==" && op != "!=" {
		// (x & mask) < value and the like.
		m.mask, m.cmpv = mask, data
		if iv, ok := compareIvl(op, data); ok {
			m.elems = []elem{{iv}}
		}
		d.addMatch(m)
		return
	}
	m.neg = op == "!="
	switch {
	case allZero(data) && (s.dt.isFlags() || s.field == rules.FieldCtState):
		// x & flags != 0: a flag test, nft's "ct state established,related".
		m.bits, m.neg, m.op = true, op == "==", "in"
		m.elems = []elem{{{mask, mask}}}
	case isPrefixMask(mask) && (s.dt == dtIPv4 || s.dt == dtIPv6 || s.dt == dtPort || s.dt == dtIfname):
		m.elems = []elem{{maskIvl(data, mask)}}
	default:
		m.mask = mask
		m.elems = []elem{{{data, data}}}
	}
	d.addMatch(m)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// isPrefixMask reports whether mask is ones then zeros.
func isPrefixMask(mask []byte) bool {
	seenZero := false
	for _, c := range mask {
		for bit := 7; bit >= 0; bit-- {
			one := c>>bit&1 == 1
			if one && seenZero {
				return false
			}
			seenZero = seenZero || !one
		}
	}
	return true
}

// maskIvl is the interval of values v matches under a prefix mask.
func maskIvl(v, mask []byte) ivl {
	lo, hi := make([]byte, len(v)), make([]byte, len(v))
	for i := range v {
		lo[i] = v[i] & mask[i]
		hi[i] = v[i] | ^mask[i]
	}
	return ivl{lo, hi}
}

// prefixCmp: a load of the first bytes of a field, as nft compiles a
// byte-aligned prefix ("ip saddr 10.0.0.0/8" loads one byte).
func (d *nlDecoder) prefixCmp(v *regVal, op string, data []byte) {
	p := v.parts[0]
	if op != "==" && op != "!=" || len(data) != p.n || v.host || v.index {
		d.opaque(fmt.Sprintf("%s (first %d bytes) %s 0x%x", p.s.name, p.n, op, data))
		return
	}
	mask := bytes.Repeat([]byte{0xff}, p.n)
	if v.mask != nil {
		if !allZero(v.xor) || !isPrefixMask(v.mask) {
			d.opaque(fmt.Sprintf("%s (first %d bytes) %s 0x%x", p.s.name, p.n, op, data))
			return
		}
		mask = v.mask
	}
	full := make([]byte, p.s.size)
	fullMask := make([]byte, p.s.size)
	copy(full, data)
	copy(fullMask, mask)
	d.addMatch(&match{sels: []sel{p.s}, neg: op == "!=", op: op, elems: []elem{{maskIvl(full, fullMask)}}})
}

// mergedCmp splits an equality over a load nft merged from several
// adjacent fields ("tcp sport 1 tcp dport 2" loads 4 bytes).
func (d *nlDecoder) mergedCmp(v *regVal, op string, data []byte) {
	if op != "==" || v.mask != nil || v.host || len(data) != v.size {
		d.opaque(fmt.Sprintf("%s %s 0x%x", selsName(partSels(v.parts)), op, data))
		return
	}
	off := 0
	for _, p := range v.parts {
		chunk := data[off : off+p.n]
		off += p.n
		if p.n < p.s.size {
			full, mask := make([]byte, p.s.size), make([]byte, p.s.size)
			copy(full, chunk)
			copy(mask, bytes.Repeat([]byte{0xff}, p.n))
			d.addMatch(&match{sels: []sel{p.s}, op: "==", elems: []elem{{maskIvl(full, mask)}}})
			continue
		}
		c := bytes.Clone(chunk)
		d.addMatch(&match{sels: []sel{p.s}, op: "==", elems: []elem{{{c, c}}}})
	}
}

func partSels(ps []part) []sel {
	out := make([]sel, len(ps))
	for i, p := range ps {
		out[i] = p.s
	}
	return out
}

// rangeCmp is a range expression (or nft's gte+lte pair).
func (d *nlDecoder) rangeCmp(reg uint32, neg bool, from, to []byte) {
	v := d.regs.read(reg)
	if v == nil || v.unknown != "" {
		d.undecodable(v)
		return
	}
	s, ok := v.single()
	if !ok || v.mask != nil {
		d.opaque(fmt.Sprintf("(range of a computed value 0x%x-0x%x)", from, to))
		return
	}
	lo, err1 := d.convert(v, from)
	hi, err2 := d.convert(v, to)
	if err1 != nil || err2 != nil || len(lo) != s.size || len(hi) != s.size || v.host {
		d.opaque(fmt.Sprintf("%s 0x%x-0x%x", s.name, from, to))
		return
	}
	op := "=="
	if neg {
		op = "!="
	}
	d.addMatch(&match{sels: []sel{s}, neg: neg, op: op, elems: []elem{{{lo, hi}}}})
}

// addMatch adds a match, marking those the evaluator cannot read, and
// notes what it says of the headers later expressions read.
func (d *nlDecoder) addMatch(m *match) {
	for _, s := range m.sels {
		if s.field == noField {
			m.opaque = true
		}
	}
	d.noteContext(m)
	d.add(m)
}

func (d *nlDecoder) noteContext(m *match) {
	if f, ok := familyFixed(m); ok {
		d.nh = f
	}
	if len(m.sels) != 1 || m.sels[0].field != rules.FieldL4Proto || m.neg || m.bits || m.mask != nil {
		return
	}
	if len(m.elems) == 1 && bytes.Equal(m.elems[0][0].lo, m.elems[0][0].hi) {
		if name, ok := l4Names[beUint(m.elems[0][0].lo)]; ok {
			d.l4 = name
			return
		}
	}
	d.l4 = "th"
}

// lookup decodes a set lookup, a map lookup, or a verdict map.
func (d *nlDecoder) lookup(x *expr.Lookup) {
	s := d.tr.sets[x.SetName]
	if s == nil {
		d.opaque(fmt.Sprintf("(lookup in unknown set @%s)", x.SetName))
		return
	}
	vals, ok := d.regs.readKey(x.SourceRegister, s.KeyLen)
	if !ok {
		d.undecodable(firstUnknown(vals))
		return
	}
	sels, host, index, ok := keySels(vals)
	if !ok {
		d.opaque(fmt.Sprintf("(lookup of a computed value in @%s)", displaySet(s)))
		return
	}
	keys := d.tr.setKeys(s, sels, host, index)
	if x.IsDestRegSet && x.DestRegister == 0 {
		d.vmap(s, sels, keys)
		return
	}
	if x.IsDestRegSet {
		d.regs.write(x.DestRegister, &regVal{mapv: &mapValue{sels: sels, keys: keys.elems, data: keys.data, set: displaySet(s)},
			size: max(int(s.DataType.Bytes), 4)})
		return
	}
	m := &match{sels: sels, neg: x.Invert, op: "==", elems: keys.elems}
	if x.Invert {
		m.op = "!="
	}
	if s.Anonymous {
		m.anon = true
	} else {
		m.set = s.Name
		m.dynamic = d.tr.dyn[s.Name] || s.Dynamic
	}
	if keys.err != nil {
		m.opaque = true
	}
	d.addMatch(m)
}

func firstUnknown(vals []*regVal) *regVal {
	for _, v := range vals {
		if v.unknown != "" {
			return v
		}
	}
	return nil
}

// keySels lists the selectors of a key, which must each be loaded whole.
func keySels(vals []*regVal) (sels []sel, host, index []bool, ok bool) {
	for _, v := range vals {
		s, ok := v.single()
		if !ok || v.mask != nil || v.unknown != "" {
			return nil, nil, nil, false
		}
		sels, host, index = append(sels, s), append(host, v.host), append(index, v.index)
	}
	return sels, host, index, len(sels) > 0
}

func displaySet(s *Set) string {
	if s.Anonymous {
		return "{...}"
	}
	return s.Name
}

func (d *nlDecoder) vmap(s *Set, sels []sel, keys setKeys) {
	it := &vmapItem{sels: sels}
	if !s.Anonymous {
		it.set = s.Name
	}
	if keys.err != nil || len(keys.verdicts) != len(keys.elems) {
		d.opaque(fmt.Sprintf("%s vmap @%s (elements perimeter cannot read)", selsName(sels), displaySet(s)))
		return
	}
	for i, e := range keys.elems {
		it.entries = append(it.entries, vmapEntry{e, keys.verdicts[i]})
	}
	it.text = vmapText(it)
	d.add(it)
}

// verdict decodes an immediate verdict.
func (d *nlDecoder) verdict(x *expr.Verdict) {
	v, ok := nlVerdict(int64(x.Kind), x.Chain)
	if !ok {
		d.opaque(fmt.Sprintf("(verdict %d)", x.Kind))
		return
	}
	d.add(&verdictItem{v: v, text: verdictText(v)})
}

// nlVerdict maps the kernel's verdict codes.
func nlVerdict(code int64, chain string) (rules.Verdict, bool) {
	switch expr.VerdictKind(code) {
	case expr.VerdictAccept:
		return rules.Verdict{Kind: rules.Accept}, true
	case expr.VerdictDrop:
		return rules.Verdict{Kind: rules.Drop}, true
	case expr.VerdictContinue:
		return rules.Verdict{Kind: rules.Continue}, true
	case expr.VerdictReturn:
		return rules.Verdict{Kind: rules.Return}, true
	case expr.VerdictJump:
		return rules.Verdict{Kind: rules.Jump, Chain: chain}, true
	case expr.VerdictGoto:
		return rules.Verdict{Kind: rules.Goto, Chain: chain}, true
	}
	if code&0xff == int64(expr.VerdictQueue) {
		return rules.Verdict{Kind: rules.Queue, Queue: fmt.Sprintf("num %d", uint32(code)>>16)}, true
	}
	return rules.Verdict{}, false
}

// metaSet decodes "meta KEY set value": marks change what later rules
// see; the rest is recorded.
func (d *nlDecoder) metaSet(k metaKey, ok bool, reg uint32) {
	name := "meta " + k.name
	if !ok {
		name = "meta key"
	}
	if ok && k.name == "mark" {
		d.markSet("meta mark", reg)
		return
	}
	d.add(other(name + " set " + d.describe(reg)))
}

func (d *nlDecoder) ctSet(k ctKey, ok bool, reg uint32) {
	if ok && k.name == "mark" {
		d.markSet("ct mark", reg)
		return
	}
	name := "ct " + k.name
	if !ok {
		name = "ct key"
	}
	d.add(other(name + " set " + d.describe(reg)))
}

// markSet decodes a mark assignment from a constant, the other mark, or
// this mark under a mask.
func (d *nlDecoder) markSet(dst string, reg uint32) {
	v := d.regs.read(reg)
	if v == nil {
		d.opaque(dst + " set (an expression perimeter cannot decode)")
		return
	}
	if v.imm != nil {
		if len(v.imm) != 4 {
			d.opaque(dst + " set " + d.describe(reg))
			return
		}
		st, _ := markStmt(dst, "", 0, binary.NativeEndian.Uint32(v.imm))
		d.add(&effect{st: st})
		return
	}
	s, ok := v.single()
	if !ok || s.name != "meta mark" && s.name != "ct mark" {
		d.opaque(dst + " set " + d.describe(reg))
		return
	}
	and, xor := ^uint32(0), uint32(0)
	if v.mask != nil && len(v.mask) == 4 {
		and, xor = binary.NativeEndian.Uint32(v.mask), binary.NativeEndian.Uint32(v.xor)
	}
	st, ok := markStmt(dst, s.name, and, xor)
	if !ok {
		d.opaque(dst + " set " + d.describe(reg))
		return
	}
	d.add(&effect{st: st})
}

// describe names what a register holds, for the texts of statements.
func (d *nlDecoder) describe(reg uint32) string {
	v := d.regs.read(reg)
	switch {
	case v == nil:
		return "(unknown)"
	case v.imm != nil:
		return fmt.Sprintf("0x%x", v.imm)
	case v.mapv != nil:
		return v.mapv.text
	case v.unknown != "":
		return v.unknown
	}
	return selsName(partSels(v.parts))
}
