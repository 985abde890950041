//go:build linux

package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables/expr"

	"github.com/perimeter-dev/perimeter/rules"
)

// The netlink decoder's statements: everything but loads, comparisons
// and lookups.

// statement decodes the expressions that are not loads or comparisons.
func (d *nlDecoder) statement(e expr.Any) {
	switch x := e.(type) {
	case *expr.Counter:
		d.add(&effect{st: rules.Statement{Kind: rules.StmtCounter, Text: "counter"}})
	case *expr.Log:
		d.log(x)
	case *expr.Limit:
		bytes := x.Type == expr.LimitTypePktBytes
		d.add(limitItem(limitText(x.Rate, uint64(x.Unit), uint64(x.Burst), bytes, x.Over), packetRate(x.Rate, uint64(x.Unit), uint64(x.Burst), bytes), x.Over))
	case *expr.Quota:
		d.opaque(quotaText(x.Bytes, x.Over))
	case *expr.Connlimit:
		d.add(countChoice(ctCountText(uint64(x.Count), x.Flags&1 != 0), uint64(x.Count), x.Flags&1 != 0))
	case *expr.Objref:
		d.objref(x)
	case *expr.Reject:
		d.add(rejectItem(d.fam, d.nhContext(), int(x.Type), x.Code))
	case *expr.NAT:
		d.nat(x)
	case *expr.Masq:
		d.add(other("masquerade"))
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Accept}})
	case *expr.Redir:
		d.redir(x)
	case *expr.Queue:
		d.queue(x)
	case *expr.Notrack:
		d.add(&effect{st: rules.Statement{Kind: rules.StmtNotrack, Text: "notrack"}})
	case *expr.Dynset:
		d.dynset(x)
	case *expr.Numgen:
		name := numgenName(map[uint32]string{0: "inc", 1: "random"}[x.Type], x.Modulus, x.Offset)
		d.regs.write(x.Register, &regVal{parts: []part{{opaqueSel(name, 4), 4}}, host: true, size: 4})
	case *expr.Hash:
		s := opaqueSel(fmt.Sprintf("hash mod %d", x.Modulus), 4)
		d.regs.write(x.DestRegister, &regVal{parts: []part{{s, 4}}, host: true, size: 4})
	case *expr.Exthdr:
		d.exthdr(x)
	case *expr.Dup:
		d.add(other("dup"))
	case *expr.FlowOffload:
		d.add(other("flow add @" + x.Name))
	case *expr.TProxy:
		d.tproxy(x)
	case *expr.Socket:
		d.socket(x)
	case *expr.SynProxy:
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: "synproxy"}, text: "synproxy"})
	case *Unknown:
		d.unknown(x)
	default:
		d.opaque(fmt.Sprintf("(expression %T)", e))
	}
}

// nhContext is the packet family the rule's matches fixed, or "".
func (d *nlDecoder) nhContext() rules.Family {
	if d.fam == rules.FamilyIPv4 || d.fam == rules.FamilyIPv6 {
		return d.fam
	}
	return d.nh
}

func (d *nlDecoder) log(x *expr.Log) {
	l := rules.Log{Kind: "log", Prefix: string(bytes.TrimRight(x.Data, "\x00"))}
	if x.Key&(1<<1) != 0 { // NFTA_LOG_GROUP
		l.Group = int(x.Group)
	}
	if x.Key&(1<<5) != 0 && int(x.Level) < len(logLevels) { // NFTA_LOG_LEVEL
		l.Level = logLevels[x.Level]
	}
	flags := ""
	if x.Key&(1<<6) != 0 && x.Flags != 0 {
		flags = logFlagsText(uint32(x.Flags))
	}
	d.add(&effect{st: rules.Statement{Kind: rules.StmtLog, Log: &l, Text: logText(l, flags)}})
}

func logFlagsText(f uint32) string {
	if f&0x2f == 0x2f {
		return "all"
	}
	var out []string
	for _, n := range []struct {
		bit  uint32
		name string
	}{{1, "tcp sequence"}, {2, "tcp options"}, {4, "ip options"}, {8, "skuid"}, {0x20, "ether"}} {
		if f&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return strings.Join(out, ",")
}

// Object types of objref (NFT_OBJECT_*).
const (
	objCounter   = 1
	objQuota     = 2
	objCtHelper  = 3
	objLimit     = 4
	objCtTimeout = 7
	objSecmark   = 8
	objCtExpect  = 9
	objSynproxy  = 10
)

func (d *nlDecoder) objref(x *expr.Objref) {
	switch x.Type {
	case objCounter:
		d.add(&effect{st: rules.Statement{Kind: rules.StmtCounter, Text: fmt.Sprintf("counter name %q", x.Name)}})
	case objLimit:
		d.add(limitItem(fmt.Sprintf("limit name %q", x.Name), rules.Rate{}, false))
	case objQuota:
		d.opaque(fmt.Sprintf("quota name %q", x.Name))
	case objCtHelper:
		d.add(other(fmt.Sprintf("ct helper set %q", x.Name)))
	case objCtTimeout, objSecmark, objCtExpect:
		d.add(other(fmt.Sprintf("objref %d %q", x.Type, x.Name)))
	case objSynproxy:
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: "synproxy"}, text: fmt.Sprintf("synproxy name %q", x.Name)})
	default:
		d.opaque(fmt.Sprintf("(object reference %q)", x.Name))
	}
}

// nat decodes dnat and snat; their addresses and ports come from
// registers an immediate or a map lookup filled.
func (d *nlDecoder) nat(x *expr.NAT) {
	fam := rules.FamilyIPv4
	if x.Family == 10 {
		fam = rules.FamilyIPv6
	}
	if x.Type == expr.NATTypeSourceNAT {
		d.add(other("snat"))
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Accept}})
		return
	}
	var natFam rules.Family
	if d.fam == rules.FamilyInet {
		natFam = fam
	}
	d.natFrom(rules.DNAT, natFam, fam, x.RegAddrMin, x.RegAddrMax, x.RegProtoMin, x.RegProtoMax)
}

func (d *nlDecoder) redir(x *expr.Redir) {
	d.natFrom(rules.Redirect, "", d.fam, 0, 0, x.RegisterProtoMin, x.RegisterProtoMax)
}

// natFrom builds a NAT verdict from the registers it reads.
func (d *nlDecoder) natFrom(kind rules.VerdictKind, natFam, addrFam rules.Family, amin, amax, pmin, pmax uint32) {
	if v := d.regs.read(amin); amin != 0 && v != nil && v.mapv != nil {
		d.natMapFrom(kind, natFam, addrFam, v.mapv, true, pmin != 0)
		return
	}
	if v := d.regs.read(pmin); pmin != 0 && v != nil && v.mapv != nil && amin == 0 {
		d.natMapFrom(kind, natFam, addrFam, v.mapv, false, true)
		return
	}
	var t natTarget
	var ok bool
	if amin != 0 {
		if t.addr, ok = d.immAddr(amin); !ok {
			d.opaque("(nat to a computed address)")
			return
		}
		if amax != 0 && amax != amin {
			t.addrHi, _ = d.immAddr(amax)
		}
	}
	if pmin != 0 {
		if t.port, ok = d.immPort(pmin); !ok {
			d.opaque("(nat to a computed port)")
			return
		}
		if pmax != 0 && pmax != pmin {
			t.portHi, _ = d.immPort(pmax)
		}
	}
	d.add(natItem(kind, natFam, t, natStmtText(kind, natFam, t.String())))
}

func (d *nlDecoder) immAddr(reg uint32) (netip.Addr, bool) {
	v := d.regs.read(reg)
	if v == nil || v.imm == nil {
		return netip.Addr{}, false
	}
	a, ok := netip.AddrFromSlice(v.imm)
	return a, ok
}

func (d *nlDecoder) immPort(reg uint32) (uint16, bool) {
	v := d.regs.read(reg)
	if v == nil || len(v.imm) < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v.imm), true
}

// natMapFrom builds the variants of a NAT whose target a map gives; the
// map's data is the address, the address then the port, or the port.
func (d *nlDecoder) natMapFrom(kind rules.VerdictKind, natFam, addrFam rules.Family, mv *mapValue, addr, port bool) {
	alen := 4
	if addrFam == rules.FamilyIPv6 {
		alen = 16
	}
	var targets []natTarget
	for _, data := range mv.data {
		var t natTarget
		switch {
		case !addr && len(data) >= 2:
			t.port = binary.BigEndian.Uint16(data)
		case addr && len(data) >= alen:
			t.addr, _ = netip.AddrFromSlice(data[:alen])
			if port && len(data) >= alen+2 {
				t.port = binary.BigEndian.Uint16(data[alen:])
			}
		default:
			d.opaque("(nat through a map perimeter cannot read)")
			return
		}
		targets = append(targets, t)
	}
	setText := ""
	if mv.set != "{...}" {
		setText = "@" + mv.set
	}
	d.add(natMapItem(kind, natFam, mv.sels, mv.keys, targets, setText))
}

func (d *nlDecoder) queue(x *expr.Queue) {
	var flags []string
	if x.Flag&expr.QueueFlagBypass != 0 {
		flags = append(flags, "bypass")
	}
	if x.Flag&expr.QueueFlagFanout != 0 {
		flags = append(flags, "fanout")
	}
	q := queueText(x.Num, x.Total, flags)
	d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: q}, text: "queue " + q})
}

// dynset decodes "add @set { key }" and "update @set { key ... }".
func (d *nlDecoder) dynset(x *expr.Dynset) {
	op := map[uint32]string{0: "add", 1: "update", 2: "delete"}[x.Operation]
	s := d.tr.sets[x.SetName]
	key := "(key)"
	if s != nil {
		if vals, ok := d.regs.readKey(x.SrcRegKey, s.KeyLen); ok {
			if sels, _, _, ok := keySels(vals); ok {
				key = selsName(sels)
			}
		}
	}
	var subs []item
	for _, e := range x.Exprs {
		sub := &nlDecoder{tr: d.tr, fam: d.fam, regs: regs{}}
		sub.statement(e)
		subs = append(subs, sub.items...)
	}
	d.add(dynsetItem(dynsetText(op, x.SetName, key, subs), subs))
}

func (d *nlDecoder) exthdr(x *expr.Exthdr) {
	if x.SourceRegister != 0 {
		d.add(other("exthdr set"))
		return
	}
	present := x.Flags&1 != 0 // NFT_EXTHDR_F_PRESENT
	s := opaqueSel(exthdrName(x.Op == expr.ExthdrOpTcpopt, x.Type, x.Offset, x.Len, present), max(int(x.Len), 1))
	if present {
		s.dt, s.size = dtBool, 1
	}
	d.regs.write(x.DestRegister, &regVal{parts: []part{{s, s.size}}, size: s.size})
}

// unknown handles expressions the nftables package cannot decode: those
// perimeter decodes itself, and the rest, which leave the rule undecided.
func (d *nlDecoder) unknown(x *Unknown) {
	switch v := x.Decoded.(type) {
	case *byteorderExpr:
		d.byteorder(v)
		return
	case *readerExpr:
		s := opaqueSel(v.name, v.size)
		d.regs.write(v.dreg, &regVal{parts: []part{{s, v.size}}, host: v.host, size: v.size})
		return
	case *ctExpr:
		d.ct(v)
		return
	case *xtExpr:
		d.tr.xt = true
		d.xt(v)
		return
	case *bitwiseShift:
		d.regs.write(v.dreg, &regVal{unknown: "a shifted value", size: int(v.len)})
		return
	}
	switch x.Name {
	case "last":
		return
	case "dup":
		d.add(other("dup"))
		return
	case "fwd":
		// The packet leaves through another device: what answers a
		// prober is not this host's stack.
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: "fwd"}, text: "fwd"})
		return
	}
	d.opaque(fmt.Sprintf("(%s expression)", x.Name))
}

func (d *nlDecoder) tproxy(x *expr.TProxy) {
	var t natTarget
	if x.RegAddr != 0 {
		t.addr, _ = d.immAddr(x.RegAddr)
	}
	if x.RegPort != 0 {
		t.port, _ = d.immPort(x.RegPort)
	}
	d.add(&verdictItem{v: rules.Verdict{Kind: rules.Tproxy, NAT: t.model()}, text: "tproxy to " + t.String()})
}

// socket loads a property of the packet's socket.
func (d *nlDecoder) socket(x *expr.Socket) {
	names := map[expr.SocketKey]string{expr.SocketKeyTransparent: "transparent", expr.SocketKeyMark: "mark",
		expr.SocketKeyWildcard: "wildcard", expr.SocketKeyCgroupv2: "cgroupv2"}
	sizes := map[expr.SocketKey]int{expr.SocketKeyTransparent: 1, expr.SocketKeyMark: 4, expr.SocketKeyWildcard: 1, expr.SocketKeyCgroupv2: 8}
	n, ok := names[x.Key]
	if !ok {
		n = fmt.Sprint(x.Key)
	}
	s := opaqueSel("socket "+n, max(sizes[x.Key], 1))
	d.regs.write(x.Register, &regVal{parts: []part{{s, s.size}}, host: x.Key == expr.SocketKeyMark, size: s.size})
}
