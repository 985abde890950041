//go:build linux

package nft

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"

	"github.com/perimeter-dev/perimeter/rules"
)

// Hand-built netlink objects, as the kernel would deliver them, so the
// translator's decisions can be read rule by rule.

var (
	inetTable = &nftables.Table{Name: "t", Family: nftables.TableFamilyINet}
	ipTable   = &nftables.Table{Name: "filter", Family: nftables.TableFamilyIPv4}
)

func baseChain(t *nftables.Table, name string, hook nftables.ChainHook, prio int32, policy nftables.ChainPolicy) *Chain {
	p := nftables.ChainPriority(prio)
	return &Chain{Chain: nftables.Chain{Name: name, Table: t, Hooknum: &hook, Priority: &p, Type: nftables.ChainTypeFilter, Policy: &policy}}
}

func ruleOf(t *nftables.Table, chain string, handle uint64, es ...expr.Any) *nftables.Rule {
	return &nftables.Rule{Table: t, Chain: &nftables.Chain{Name: chain}, Handle: handle, Exprs: es}
}

// Expression helpers.

func l4(p byte) []expr.Any {
	return []expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p}}}
}

func dportLoad(reg uint32) expr.Any {
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2}
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func host32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func verdict(k expr.VerdictKind, chain ...string) expr.Any {
	v := &expr.Verdict{Kind: k}
	if len(chain) > 0 {
		v.Chain = chain[0]
	}
	return v
}

func cat(parts ...any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		switch x := p.(type) {
		case expr.Any:
			out = append(out, x)
		case []expr.Any:
			out = append(out, x...)
		}
	}
	return out
}

// verdictData is a verdict map element's data, as the kernel sends it.
func verdictData(code int32, chain string) []byte {
	attrs := []netlink.Attribute{{Type: 1, Data: binary.BigEndian.AppendUint32(nil, uint32(code))}}
	if chain != "" {
		attrs = append(attrs, netlink.Attribute{Type: 2, Data: []byte(chain + "\x00")})
	}
	b, err := netlink.MarshalAttributes(attrs)
	if err != nil {
		panic(err)
	}
	return b
}

// modelOf describes a model rule in one line: its matches' fields,
// negation and texts, its statements and verdict.
func modelOf(r *rules.Rule) string {
	var parts []string
	for _, m := range r.Matches {
		neg := ""
		if m.Negate {
			neg = "!"
		}
		parts = append(parts, fmt.Sprintf("%s%v%s", neg, m.Fields, elemsOf(m)))
	}
	for _, s := range r.Statements {
		parts = append(parts, "stmt:"+s.Text)
	}
	switch {
	case r.VMap != nil:
		var es []string
		for _, e := range r.VMap.Entries {
			es = append(es, fmt.Sprintf("%x:%s", e.Elem[0].Lo, e.Verdict))
		}
		parts = append(parts, fmt.Sprintf("vmap%v{%s}", r.VMap.Fields, strings.Join(es, ",")))
	default:
		parts = append(parts, "=> "+r.Verdict.String())
	}
	return strings.Join(parts, " ")
}

func elemsOf(m rules.Match) string {
	if m.IsOpaque() {
		return fmt.Sprintf("(%s)", m.Text)
	}
	var es []string
	for _, e := range m.Elems {
		var ivs []string
		for _, iv := range e {
			if string(iv.Lo) == string(iv.Hi) {
				ivs = append(ivs, fmt.Sprintf("%x", iv.Lo))
			} else {
				ivs = append(ivs, fmt.Sprintf("%x-%x", iv.Lo, iv.Hi))
			}
		}
		es = append(es, strings.Join(ivs, "."))
	}
	s := "{" + strings.Join(es, ",") + "}"
	if m.Mask != nil {
		s += fmt.Sprintf("&%x", m.Mask)
	}
	return s
}

func translateOne(t *testing.T, o *Objects, opts Options) []string {
	t.Helper()
	rs := Translate(o, opts)
	var out []string
	for _, tb := range rs.Tables {
		for _, c := range tb.Chains {
			for _, r := range c.Rules {
				out = append(out, modelOf(r))
			}
		}
	}
	return out
}

func TestTranslateRules(t *testing.T) {
	in := baseChain(inetTable, "in", nftables.ChainHook(1), 0, nftables.ChainPolicyDrop)
	cases := []struct {
		name  string
		exprs []expr.Any
		sets  []*Set
		want  []string
	}{
		{"port", cat(l4(6), dportLoad(1), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(22)}, verdict(expr.VerdictAccept)),
			nil, []string{"[l4proto]{06} [dport]{0016} => accept"}},
		{"gte+lte is a range", cat(l4(17), dportLoad(1), &expr.Cmp{Op: expr.CmpOpGte, Register: 1, Data: be16(1000)},
			&expr.Cmp{Op: expr.CmpOpLte, Register: 1, Data: be16(2000)}, verdict(expr.VerdictDrop)),
			nil, []string{"[l4proto]{11} [dport]{03e8-07d0} => drop"}},
		{"range expression, inverted", cat(l4(6), dportLoad(1), &expr.Range{Op: expr.CmpOpNeq, Register: 1, FromData: be16(1), ToData: be16(3)}, verdict(expr.VerdictDrop)),
			nil, []string{"[l4proto]{06} ![dport]{0001-0003} => drop"}},
		{"prefix by mask", cat(
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{2}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 255, 128, 0}, Xor: []byte{0, 0, 0, 0}},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{10, 1, 0, 0}}, verdict(expr.VerdictDrop)),
			nil, []string{"[nfproto]{02} [saddr]{0a010000-0a017fff} => drop"}},
		{"prefix by a short load", cat(
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{2}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 1},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{10}}, verdict(expr.VerdictDrop)),
			nil, []string{"[nfproto]{02} ![saddr]{0a000000-0affffff} => drop"}},
		{"interface wildcard", cat(&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte("eth")}, verdict(expr.VerdictAccept)),
			nil, []string{"[iif]{65746800000000000000000000000000-657468ffffffffffffffffffffffffff} => accept"}},
		{"interface by index", cat(&expr.Meta{Key: expr.MetaKeyIIF, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: host32(1)}, verdict(expr.VerdictAccept)),
			nil, []string{"[iif]{6c6f0000000000000000000000000000} => accept"}},
		{"interface index unknown", cat(&expr.Meta{Key: expr.MetaKeyIIF, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: host32(99)}, verdict(expr.VerdictAccept)),
			nil, []string{"[opaque](iif 99) => accept"}},
		{"ct state bits", cat(&ctExprAny{key: 0, reg: 1},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: host32(6), Xor: host32(0)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: host32(0)}, verdict(expr.VerdictAccept)),
			nil, []string{"[ctstate]{01-ff}&06 => accept"}},
		{"ct status dnat", cat(&ctExprAny{key: 2, reg: 1},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: host32(0x20), Xor: host32(0)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: host32(0)}, verdict(expr.VerdictAccept)),
			nil, []string{"[ctstate]{01-ff}&10 => accept"}},
		{"register nothing wrote", cat(&Unknown{Name: "osf2"}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte("Linux")}, verdict(expr.VerdictAccept)),
			nil, []string{"[opaque]((osf2 expression)) [opaque]((match on an expression perimeter cannot decode)) => accept"}},
		{"log before a match is cut off", cat(&expr.Log{}, l4(6), dportLoad(1), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(9)}, verdict(expr.VerdictDrop)),
			nil, []string{"stmt:log => continue", "[l4proto]{06} [dport]{0009} => drop"}},
		{"counter before a match is not", cat(&expr.Counter{}, l4(6), verdict(expr.VerdictDrop)),
			nil, []string{"[l4proto]{06} stmt:counter => drop"}},
		{"mark set before a match of the mark", cat(&expr.Meta{Key: expr.MetaKeyMARK, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: host32(0)},
			&expr.Immediate{Register: 1, Data: host32(1)}, &expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
			l4(6), verdict(expr.VerdictAccept)),
			nil, []string{"[mark]{00000000} stmt:meta mark set 0x00000001 => continue",
				"[opaque](meta mark 0x00000000 (before meta mark set 0x00000001)) [l4proto]{06} => accept"}},
		{"icmpx admin-prohibited per family", cat(&expr.Reject{Type: 2, Code: 3}),
			nil, []string{"[nfproto]{02} => reject:icmp-admin-prohibited", "[nfproto]{0a} => reject:icmp6-adm-prohibited"}},
		{"reject with icmpx port-unreachable", cat(&expr.Reject{Type: 2, Code: 1}),
			nil, []string{"=> reject:icmp-port-unreachable"}},
		{"interval set, reversed with end flags", cat(l4(6), dportLoad(1), &expr.Lookup{SourceRegister: 1, SetName: "ports"}, verdict(expr.VerdictAccept)),
			[]*Set{{Set: nftables.Set{Table: inetTable, Name: "ports", Interval: true}, KeyLen: 2, Elements: []nftables.SetElement{
				{Key: be16(2001), IntervalEnd: true}, {Key: be16(1000)}, {Key: be16(81), IntervalEnd: true}, {Key: be16(80)}, {Key: be16(0), IntervalEnd: true},
			}}}, []string{"[l4proto]{06} [dport]{0050,03e8-07d0} => accept"}},
		{"concatenation, inverted lookup", cat(&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{2}}, l4(6),
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4}, &expr.Payload{DestRegister: 9, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Lookup{SourceRegister: 1, SetName: "pairs", Invert: true}, verdict(expr.VerdictDrop)),
			[]*Set{{Set: nftables.Set{Table: inetTable, Name: "pairs", Concatenation: true}, KeyLen: 8, Elements: []nftables.SetElement{
				{Key: []byte{198, 18, 0, 2, 0, 22, 0, 0}},
			}}}, []string{"[nfproto]{02} [l4proto]{06} ![saddr dport]{c6120002.0016} => drop"}},
		{"verdict map with raw verdict data", cat(l4(6), dportLoad(1), &expr.Lookup{SourceRegister: 1, SetName: "__map0", DestRegister: 0, IsDestRegSet: true}),
			[]*Set{{Set: nftables.Set{Table: inetTable, Name: "__map0", Anonymous: true, IsMap: true, DataType: nftables.TypeVerdict}, KeyLen: 2, Elements: []nftables.SetElement{
				{Key: be16(22), Val: verdictData(1, "")}, {Key: be16(80), Val: verdictData(-3, "web")},
			}}}, []string{"[l4proto]{06} vmap[dport]{0016:accept,0050:jump web}"}},
		{"dnat through a map", cat(l4(6), dportLoad(1), &expr.Lookup{SourceRegister: 1, SetName: "__map1", DestRegister: 1, IsDestRegSet: true},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: 2, RegAddrMin: 1}),
			[]*Set{{Set: nftables.Set{Table: inetTable, Name: "__map1", Anonymous: true, IsMap: true}, KeyLen: 2, Elements: []nftables.SetElement{
				{Key: be16(8080), Val: []byte{198, 19, 0, 2}},
			}}}, []string{"[l4proto]{06} [dport]{1f90} [nfproto]{02} => dnat"}},
		{"limit", cat(&expr.Limit{Type: expr.LimitTypePkts, Rate: 5, Unit: expr.LimitTimeSecond, Burst: 5}, verdict(expr.VerdictAccept)),
			nil, []string{"[limit](limit rate 5/second) => accept"}},
		{"dynset with a limit", cat(&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Dynset{SrcRegKey: 1, SetName: "meter", Operation: 1, Exprs: []expr.Any{&expr.Limit{Type: expr.LimitTypePkts, Rate: 3, Unit: expr.LimitTimeMinute, Over: true}}},
			verdict(expr.VerdictDrop)),
			[]*Set{{Set: nftables.Set{Table: inetTable, Name: "meter"}, KeyLen: 4}},
			[]string{"[limit](update @meter { @nh,96,32 limit rate over 3/minute }) => drop"}},
		{"lookup in a set rules fill", cat(&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Lookup{SourceRegister: 1, SetName: "meter"}, verdict(expr.VerdictDrop)),
			[]*Set{{Set: nftables.Set{Table: inetTable, Name: "meter", Dynamic: true}, KeyLen: 4}},
			[]string{"[opaque](@nh,96,32 @meter) => drop"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := &Objects{Tables: []*nftables.Table{inetTable}, Chains: []*Chain{in}, Sets: c.sets,
				Rules: []*nftables.Rule{ruleOf(inetTable, "in", 5, resolveCt(c.exprs)...)}, Ifaces: map[uint32]string{1: "lo"}}
			got := translateOne(t, o, Options{})
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// ctExprAny stands for a ct load in a test's expression list.
type ctExprAny struct {
	expr.Any
	key, reg uint32
}

// resolveCt turns ctExprAny into the *Unknown the decoder makes of a ct
// expression.
func resolveCt(es []expr.Any) []expr.Any {
	out := make([]expr.Any, len(es))
	for i, e := range es {
		if c, ok := e.(*ctExprAny); ok {
			out[i] = &Unknown{Name: "ct", Decoded: &ctExpr{key: c.key, reg: c.reg, dir: -1}}
			continue
		}
		out[i] = e
	}
	return out
}

func TestTranslateTables(t *testing.T) {
	filterIn := baseChain(ipTable, "INPUT", nftables.ChainHook(1), 0, nftables.ChainPolicyAccept)
	native := &nftables.Table{Name: "mine", Family: nftables.TableFamilyIPv4}
	nativeIn := baseChain(native, "input", nftables.ChainHook(1), 10, nftables.ChainPolicyDrop)
	bridge := &nftables.Table{Name: "br", Family: nftables.TableFamilyBridge}
	dormant := &nftables.Table{Name: "off", Family: nftables.TableFamilyINet, Flags: tableDormant}
	ingress := baseChain(&nftables.Table{Name: "edge", Family: nftables.TableFamilyNetdev}, "in", 0, -500, nftables.ChainPolicyAccept)
	ingress.Devices = []string{"eth0"}
	o := &Objects{
		Tables: []*nftables.Table{ipTable, native, bridge, dormant, ingress.Table},
		Chains: []*Chain{filterIn, nativeIn, ingress},
		Rules: []*nftables.Rule{
			ruleOf(ipTable, "INPUT", 2, cat(l4(6), &Unknown{Name: "match", Decoded: &xtExpr{name: "multiport", rev: 1, info: multiport(80, 443)}}, verdict(expr.VerdictAccept))...),
			ruleOf(native, "input", 3, verdict(expr.VerdictAccept)),
		},
	}
	rs := Translate(o, Options{})
	var got []string
	for _, tb := range rs.Tables {
		got = append(got, fmt.Sprintf("%s %s %s", tb.Family, tb.Name, tb.Backend))
		for _, c := range tb.Chains {
			got = append(got, fmt.Sprintf("  %s %s %d %v", c.Name, c.Hook, c.Priority, c.Devices))
			for _, r := range c.Rules {
				got = append(got, "    "+modelOf(r))
			}
		}
	}
	want := `ipv4 filter iptables-nft
  INPUT input 0 []
    [l4proto]{06} [dport]{0050,01bb} => accept
ipv4 mine nft
  input input 10 []
    => accept
bridge br nft
netdev edge nft
  in ingress -500 [eth0]`
	if strings.Join(got, "\n") != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	if len(rs.Notes) != 2 {
		t.Errorf("want notes for the dormant and the bridge table, got %q", rs.Notes)
	}
	skipped := Translate(o, Options{SkipIptablesNft: true})
	if skipped.Table(rules.FamilyIPv4, "filter") != nil || skipped.Table(rules.FamilyIPv4, "mine") == nil {
		t.Errorf("SkipIptablesNft must leave out only iptables-nft's tables")
	}
	only := Translate(o, Options{SkipTable: func(f rules.Family, name string) bool { return name == "mine" }})
	if only.Table(rules.FamilyIPv4, "mine") != nil || only.Table(rules.FamilyIPv4, "filter") == nil {
		t.Errorf("SkipTable must decide")
	}
}

// multiport is an xt_multiport_v1 blob listing destination ports.
func multiport(ports ...uint16) []byte {
	b := make([]byte, 48)
	b[0], b[1] = 1, byte(len(ports))
	for i, p := range ports {
		binary.NativeEndian.PutUint16(b[2+2*i:], p)
	}
	return b
}

func TestTranslateIptablesNftLooks(t *testing.T) {
	// A table named and built like iptables-nft's, but holding what
	// iptables-nft never writes (ct), is native.
	in := baseChain(ipTable, "INPUT", nftables.ChainHook(1), 0, nftables.ChainPolicyDrop)
	mk := func(es ...expr.Any) rules.Backend {
		o := &Objects{Tables: []*nftables.Table{ipTable}, Chains: []*Chain{in}, Rules: []*nftables.Rule{ruleOf(ipTable, "INPUT", 2, es...)}}
		return Translate(o, Options{}).Tables[0].Backend
	}
	if b := mk(cat(l4(6), verdict(expr.VerdictAccept))...); b != rules.BackendIptablesNft {
		t.Errorf("plain iptables-nft table: got %s", b)
	}
	if b := mk(resolveCt(cat(&ctExprAny{key: 0, reg: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: host32(8)}, verdict(expr.VerdictAccept)))...); b != rules.BackendNft {
		t.Errorf("native ct in a filter table: got %s", b)
	}
}

func TestDecodeExprsKeepsUnknown(t *testing.T) {
	// A socket expression (which the nftables package drops) between a
	// load and a cmp must survive decoding.
	elems := []netlink.Attribute{
		exprAttr("socket", []netlink.Attribute{{Type: 1, Data: be32b(1)}, {Type: 2, Data: be32b(1)}}),
		exprAttr("cmp", []netlink.Attribute{{Type: 1, Data: be32b(1)}, {Type: 2, Data: be32b(0)}, {Type: netlink.Nested | 3, Data: mustMarshal([]netlink.Attribute{{Type: 1, Data: []byte{1}}})}}),
		exprAttr("osf", []netlink.Attribute{{Type: 1, Data: be32b(1)}}),
		exprAttr("frobnicate", nil),
	}
	es, err := decodeExprs(1, mustMarshal(elems))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		switch x := e.(type) {
		case *Unknown:
			names = append(names, "unknown:"+x.Name)
		default:
			names = append(names, fmt.Sprintf("%T", e))
		}
	}
	if got := strings.Join(names, " "); got != "*expr.Socket *expr.Cmp unknown:osf unknown:frobnicate" {
		t.Errorf("got %s", got)
	}
}

func exprAttr(name string, data []netlink.Attribute) netlink.Attribute {
	inner := []netlink.Attribute{{Type: 1, Data: []byte(name + "\x00")}}
	if data != nil {
		inner = append(inner, netlink.Attribute{Type: netlink.Nested | 2, Data: mustMarshal(data)})
	}
	return netlink.Attribute{Type: netlink.Nested | 1, Data: mustMarshal(inner)}
}

func be32b(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func mustMarshal(as []netlink.Attribute) []byte {
	b, err := netlink.MarshalAttributes(as)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSetIntervalsOpenEnded(t *testing.T) {
	// An interval running to the top of the space has no end element.
	got := intervals([]nftables.SetElement{{Key: be16(60000)}, {Key: be16(100), IntervalEnd: true}, {Key: be16(10)}})
	want := "000a-0063 ea60-ffff"
	var parts []string
	for _, r := range got {
		parts = append(parts, fmt.Sprintf("%x-%x", r.lo, r.hi))
	}
	if strings.Join(parts, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(parts, " "), want)
	}
	_ = netip.Addr{}
}
