package nft

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/perimeter-dev/perimeter/rules"
)

// lowering turns the intermediate form into the model.

// lowerTables builds the ruleset of the tables.
func lowerTables(tables []*irTable, source string) *rules.Ruleset {
	rs := &rules.Ruleset{Families: []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6}}
	for _, t := range tables {
		rs.Tables = append(rs.Tables, lowerTable(t, source))
		rs.Notes = append(rs.Notes, t.notes...)
	}
	return rs
}

func lowerTable(t *irTable, source string) *rules.Table {
	out := &rules.Table{Family: t.family, Name: t.name, Backend: t.backend, Source: source}
	for _, c := range t.chains {
		lc := lowerChain(t, c, source)
		if c.base && c.noDevice {
			out.Chains = append(out.Chains, unknownDevice(lc)...)
			continue
		}
		out.Chains = append(out.Chains, lc)
	}
	return out
}

// unknownDevice stands for an ingress chain whose devices the input does
// not say (nft 1.0.6's JSON leaves them out): whether it sees a packet is
// undecided. The base chain goes to the real rules, and their policy,
// only behind an undecided match; otherwise it accepts, which ends only
// itself.
func unknownDevice(c *rules.Chain) []*rules.Chain {
	body := &rules.Chain{Name: c.Name + " (rules)", Rules: c.Rules, Origin: c.Origin}
	policy := c.Origin
	policy.Text = "policy " + c.Policy.String()
	body.Rules = append(body.Rules, &rules.Rule{Verdict: c.Policy, Origin: policy})
	gate := c.Origin
	gate.Text = fmt.Sprintf("%s: devices unknown", c.Origin.Text)
	c.Rules = []*rules.Rule{{
		Matches: []rules.Match{rules.Opaque(fmt.Sprintf("(devices of %s %s %s unknown)", familyName(c.Origin.Family), c.Origin.Table, c.Name))},
		Verdict: rules.Verdict{Kind: rules.Goto, Chain: body.Name}, Origin: gate,
	}}
	c.Policy = rules.Verdict{Kind: rules.Accept}
	return []*rules.Chain{c, body}
}

func lowerChain(t *irTable, c *irChain, source string) *rules.Chain {
	out := &rules.Chain{Name: c.name, Origin: rules.Origin{Source: source, Backend: t.backend, Family: t.family,
		Table: t.name, Chain: c.name, Handle: c.handle}}
	if c.base {
		out.Hook, out.Priority, out.Type = c.hook, c.prio, c.typ
		out.Policy = rules.Verdict{Kind: c.policy}
		out.Devices = c.devices
		out.Origin.Text = chainText(t.family, c)
	}
	for i, r := range c.rules {
		o := out.Origin
		o.Position, o.Handle, o.Text = i+1, r.handle, r.text
		if o.Text == "" {
			o.Text = renderRule(r.items, r.comment)
		}
		out.Rules = append(out.Rules, lowerRule(r.items, o)...)
	}
	return out
}

// chainText spells a base chain's declaration.
func chainText(f rules.Family, c *irChain) string {
	dev := ""
	if len(c.devices) == 1 {
		dev = fmt.Sprintf(" device %q", c.devices[0])
	} else if len(c.devices) > 1 {
		dev = " devices = { " + joinQuoted(c.devices) + " }"
	}
	return fmt.Sprintf("type %s hook %s%s priority %s; policy %s;", c.typ, c.hook, dev, prioText(f, c.hook, c.prio), c.policy)
}

func joinQuoted(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", s)
	}
	return out
}

// prioText spells a priority as nft does: a standard name, a name with an
// offset, or a number.
func prioText(f rules.Family, h rules.Hook, p int) string {
	type std struct {
		name string
		v    int
	}
	list := []std{{"raw", -300}, {"mangle", -150}, {"dstnat", -100}, {"filter", 0}, {"security", 50}, {"srcnat", 100}}
	switch f {
	case rules.FamilyNetdev:
		list = []std{{"filter", 0}}
	case rules.FamilyBridge:
		list = []std{{"dstnat", -300}, {"filter", -200}, {"out", 100}, {"srcnat", 300}}
	}
	for _, s := range list {
		if s.name == "dstnat" && h != rules.HookPrerouting && h != rules.HookOutput ||
			s.name == "srcnat" && h != rules.HookPostrouting && h != rules.HookInput {
			continue
		}
		switch d := p - s.v; {
		case d == 0:
			return s.name
		case d > 0 && d <= 10:
			return fmt.Sprintf("%s + %d", s.name, d)
		case d < 0 && d >= -10:
			return fmt.Sprintf("%s - %d", s.name, -d)
		}
	}
	return fmt.Sprint(p)
}

// lowerRule turns one nft rule into model rules, all with its origin. The
// model runs a rule's matches before its statements, while nft runs a rule
// left to right: a statement that has an effect (a log, a mark) before a
// later match is cut off into a rule of its own that continues, so the log
// fires even when the later match fails ("log tcp dport 22 drop" becomes
// "log; continue" then "tcp dport 22 drop"). Matches before the cut are
// repeated after it; those that read what a statement before the cut
// changed become undecided rather than read the changed value.
func lowerRule(items []item, o rules.Origin) []*rules.Rule {
	l := &lowerer{o: o}
	for _, it := range items {
		l.add(it)
	}
	if !l.done {
		l.emit(rules.Verdict{}, nil)
	}
	return l.out
}

type lowerer struct {
	o       rules.Origin
	ms      []rules.Match
	sts     []rules.Statement
	effects bool // sts holds a statement with an effect since the last cut
	changed map[rules.Field]string
	out     []*rules.Rule
	done    bool
}

func (l *lowerer) add(it item) {
	if l.done {
		return
	}
	switch x := it.(type) {
	case *match:
		l.cutBefore()
		l.ms = append(l.ms, x.model())
	case *modelItem:
		l.cutBefore()
		l.ms = append(l.ms, x.m)
	case *opaqueItem:
		l.cutBefore()
		l.ms = append(l.ms, x.model())
	case *effect:
		l.sts = append(l.sts, x.st)
		if x.st.Kind != rules.StmtCounter && x.st.Kind != rules.StmtOther {
			l.effects = true
		}
	case *verdictItem:
		l.verdict(x)
	case *vmapItem:
		l.vmap(x)
	}
}

// cutBefore ends the rule so far before a match, when statements with an
// effect precede it.
func (l *lowerer) cutBefore() {
	if !l.effects {
		return
	}
	l.emit(rules.Verdict{}, nil)
	for _, s := range l.sts {
		if f := changedField(s.Kind); f != noField {
			if l.changed == nil {
				l.changed = map[rules.Field]string{}
			}
			l.changed[f] = s.Text
		}
	}
	for i, m := range l.ms {
		if by, ok := l.reads(m); ok {
			l.ms[i] = rules.Opaque(m.Text + " (before " + by + ")")
		}
	}
	l.sts, l.effects = nil, false
}

func changedField(k rules.StatementKind) rules.Field {
	switch k {
	case rules.StmtSetMark, rules.StmtRestoreMark:
		return rules.FieldMark
	case rules.StmtSetCtMark, rules.StmtSaveMark:
		return rules.FieldCtMark
	case rules.StmtNotrack:
		return rules.FieldCtState
	}
	return noField
}

func (l *lowerer) reads(m rules.Match) (string, bool) {
	for _, f := range m.Fields {
		if by, ok := l.changed[f]; ok {
			return by, true
		}
	}
	return "", false
}

func (l *lowerer) emit(v rules.Verdict, vm *rules.VMap, extra ...rules.Match) {
	r := &rules.Rule{Matches: append(slices.Clone(l.ms), extra...), Statements: l.sts, Verdict: v, VMap: vm, Origin: l.o}
	l.out = append(l.out, r)
}

func (l *lowerer) verdict(x *verdictItem) {
	l.done = true
	if len(x.variants) == 0 {
		l.emit(x.v, nil)
		return
	}
	// The statements ran before the variants' lookups: cut them off so
	// they fire once, whatever variant applies.
	if len(l.sts) > 0 {
		l.emit(rules.Verdict{}, nil)
		l.sts, l.effects = nil, false
	}
	for _, v := range x.variants {
		var extra []rules.Match
		for _, m := range v.matches {
			extra = append(extra, m.model())
		}
		l.emit(v.v, nil, extra...)
	}
}

// vmap lowers a verdict map. A key the evaluator cannot read becomes one
// rule per element, each behind an undecided match, so every verdict the
// map holds is followed.
func (l *lowerer) vmap(x *vmapItem) {
	l.done = true
	vm, ok := x.model()
	if ok {
		l.emit(rules.Verdict{}, vm)
		return
	}
	if len(l.sts) > 0 {
		l.emit(rules.Verdict{}, nil)
		l.sts, l.effects = nil, false
	}
	for i, e := range x.entries {
		l.emit(e.v, nil, rules.Opaque(fmt.Sprintf("%s [element %d]", x.text, i+1)))
	}
}

func (x *vmapItem) model() (*rules.VMap, bool) {
	vm := &rules.VMap{Text: x.text}
	for _, s := range x.sels {
		if s.field == noField || s.dt == dtCtStatus {
			return nil, false
		}
		vm.Fields = append(vm.Fields, s.field)
	}
	for _, e := range x.entries {
		elems, ok := modelElems(x.sels, e.e)
		if !ok {
			return nil, false
		}
		for _, me := range elems {
			vm.Entries = append(vm.Entries, rules.VMapEntry{Elem: me, Verdict: e.v})
		}
	}
	return vm, true
}

// model turns a match into the model's.
func (m *match) model() rules.Match {
	text := m.String()
	if m.opaque || m.dynamic {
		return rules.Opaque(text)
	}
	for _, s := range m.sels {
		if s.field == noField {
			return rules.Opaque(text)
		}
	}
	if len(m.sels) > 1 {
		return m.concatModel(text)
	}
	s := m.sels[0]
	switch {
	case s.dt == dtCtStatus:
		return m.ctStatusModel(text)
	case s.dt == dtCtState:
		return m.ctStateModel(text)
	case m.bits:
		if len(m.elems) != 1 {
			return rules.Opaque(text)
		}
		mask, ok := modelKey(s, m.elems[0][0].lo)
		if !ok {
			return rules.Opaque(text)
		}
		// key & mask != 0: the masked key lies in [1, all ones].
		one := make([]byte, len(mask))
		one[len(one)-1] = 1
		out := rules.NewMatch(s.field, m.neg, text, rules.Interval{Lo: one, Hi: allOnes(len(mask))})
		out.Mask = mask
		return out
	}
	var ivs []rules.Interval
	for _, e := range m.elems {
		iv, ok := modelIvl(s, e[0])
		if !ok {
			return rules.Opaque(text)
		}
		ivs = append(ivs, iv)
	}
	out := rules.NewMatch(s.field, m.neg, text, ivs...)
	if m.mask != nil {
		mask, ok := modelKey(s, m.mask)
		if !ok {
			return rules.Opaque(text)
		}
		out.Mask = mask
	}
	return out
}

func allOnes(n int) []byte {
	return bytes.Repeat([]byte{0xff}, n)
}

// ctStateModel: the kernel's ct state is always one bit, so membership
// in a set of states is the test "state & (their bits) != 0", which also
// ignores the DNAT/SNAT bits the model keeps beside the state.
func (m *match) ctStateModel(text string) rules.Match {
	if m.mask != nil {
		return rules.Opaque(text)
	}
	var bits uint64
	for _, e := range m.elems {
		if !bytes.Equal(e[0].lo, e[0].hi) {
			return rules.Opaque(text)
		}
		v := beUint(e[0].lo)
		if !m.bits && v&(v-1) != 0 {
			continue // two states at once: no packet has that
		}
		bits |= v
	}
	if bits > 0xff {
		return rules.Opaque(text)
	}
	if bits == 0 {
		return rules.NewMatch(rules.FieldCtState, m.neg, text)
	}
	return rules.AnyBit(rules.FieldCtState, m.neg, text, uint8(bits))
}

// ctStatusModel: only the dnat and snat bits are known to the evaluator,
// which keeps them beside the state as rules.CtDNAT and rules.CtSNAT.
func (m *match) ctStatusModel(text string) rules.Match {
	if !m.bits || len(m.elems) != 1 {
		return rules.Opaque(text)
	}
	const snat, dnat = 0x10, 0x20
	v := beUint(m.elems[0][0].lo)
	if v == 0 || v&^(snat|dnat) != 0 {
		return rules.Opaque(text)
	}
	var bits uint8
	if v&dnat != 0 {
		bits |= uint8(rules.CtDNAT)
	}
	if v&snat != 0 {
		bits |= uint8(rules.CtSNAT)
	}
	return rules.AnyBit(rules.FieldCtState, m.neg, text, bits)
}

func (m *match) concatModel(text string) rules.Match {
	if m.mask != nil || m.bits {
		return rules.Opaque(text)
	}
	out := rules.Match{Negate: m.neg, Text: text}
	for _, s := range m.sels {
		if s.dt == dtCtStatus {
			return rules.Opaque(text)
		}
		out.Fields = append(out.Fields, s.field)
	}
	for _, e := range m.elems {
		elems, ok := modelElems(m.sels, e)
		if !ok {
			return rules.Opaque(text)
		}
		out.Elems = append(out.Elems, elems...)
	}
	return out
}

// ctExtras are the DNAT/SNAT bits the model may carry beside a state.
var ctExtras = []uint8{0, uint8(rules.CtDNAT), uint8(rules.CtSNAT), uint8(rules.CtDNAT | rules.CtSNAT)}

// modelElems converts one element; a conntrack state in it becomes one
// element per combination of the model's DNAT/SNAT bits.
func modelElems(sels []sel, e elem) ([]rules.Elem, bool) {
	if len(e) != len(sels) {
		return nil, false
	}
	out := []rules.Elem{{}}
	for i, s := range sels {
		if s.dt == dtCtState {
			if !bytes.Equal(e[i].lo, e[i].hi) || beUint(e[i].lo) > 0xff {
				return nil, false
			}
			st := uint8(beUint(e[i].lo))
			var next []rules.Elem
			for _, prev := range out {
				for _, x := range ctExtras {
					k := []byte{st | x}
					next = append(next, append(slices.Clone(prev), rules.Interval{Lo: k, Hi: k}))
				}
			}
			out = next
			continue
		}
		iv, ok := modelIvl(s, e[i])
		if !ok {
			return nil, false
		}
		for j := range out {
			out[j] = append(out[j], iv)
		}
	}
	return out, true
}

func modelIvl(s sel, iv ivl) (rules.Interval, bool) {
	lo, ok1 := modelKey(s, iv.lo)
	hi, ok2 := modelKey(s, iv.hi)
	if !ok1 || !ok2 || len(lo) != len(hi) {
		return rules.Interval{}, false
	}
	if s.dt == dtEtherType && !bytes.Equal(iv.lo, iv.hi) {
		return rules.Interval{}, false
	}
	return rules.Interval{Lo: lo, Hi: hi}, true
}

// modelKey converts a big-endian value of s into the model's key of its
// field.
func modelKey(s sel, b []byte) ([]byte, bool) {
	if len(b) != s.size {
		return nil, false
	}
	switch s.field {
	case rules.FieldNfproto:
		if s.dt == dtEtherType {
			switch beUint(b) {
			case 0x0800:
				return []byte{2}, true
			case 0x86dd:
				return []byte{10}, true
			}
			return []byte{0}, true // no IP packet has it
		}
		return b, len(b) == 1
	case rules.FieldDType, rules.FieldSType, rules.FieldCtState:
		if len(b) != 4 || beUint(b) > 0xff {
			return nil, false
		}
		return b[3:], true
	case rules.FieldSaddr, rules.FieldDaddr, rules.FieldCtOrigSaddr, rules.FieldCtOrigDaddr:
		return b, len(b) == 4 || len(b) == 16
	case rules.FieldSport, rules.FieldDport, rules.FieldCtOrigSport, rules.FieldCtOrigDport:
		return b, len(b) == 2
	case rules.FieldLength:
		return lengthKey(b)
	case rules.FieldIIF, rules.FieldOIF:
		return b, len(b) == rules.IfNameSize
	case rules.FieldMark, rules.FieldCtMark:
		return b, len(b) == 4
	case rules.FieldL4Proto, rules.FieldHopLimit, rules.FieldICMPType, rules.FieldICMPCode, rules.FieldPktType, rules.FieldTCPFlags,
		rules.FieldRPFilter, rules.FieldRPFilterLoose, rules.FieldIPsec:
		return b, len(b) == 1
	}
	return nil, false
}

// model is the match an opaque item stands for: a rate limit or another
// choice of the sender's, else a match the evaluator cannot decide.
func (x *opaqueItem) model() rules.Match {
	switch {
	case x.limit:
		return rules.Limit(x.text, x.rate, x.over)
	case x.choice != nil:
		return rules.Chosen(x.text, x.choice.Default, x.choice.If)
	}
	return rules.Opaque(x.text)
}

// lengthKey is a packet length as the model keys it, two bytes: meta
// length is four, and no IP packet is longer than 65,535 bytes.
func lengthKey(b []byte) ([]byte, bool) {
	switch len(b) {
	case 2:
		return b, true
	case 4:
		return rules.U16(uint16(min(beUint(b), 0xffff))), true
	}
	return nil, false
}
