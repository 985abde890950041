//go:build linux

package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/internal/reject"
	"github.com/perimeter-dev/perimeter/rules"
)

// iptables-nft keeps the iptables extensions it has no native translation
// for as xt match and target expressions: the extension's name, revision
// and its kernel structure as a blob, in host byte order. perimeter
// decodes the common ones; the rest become undecided matches, or for
// targets an outcome it cannot tell.

// xtExpr is an xt match or target.
type xtExpr struct {
	target bool
	name   string
	rev    uint32
	info   []byte
}

var ne = binary.NativeEndian

func (d *nlDecoder) xt(x *xtExpr) {
	if x.target {
		d.xtTarget(x)
		return
	}
	ms, ok := d.xtMatch(x)
	if !ok {
		d.opaque(fmt.Sprintf("xt match %q", x.name))
		return
	}
	for _, m := range ms {
		d.add(&modelItem{m: m})
	}
}

// xtHopLimit decodes hl (IPv6) and ttl (IPv4): eq, ne, lt, gt.
func xtHopLimit(name string, b []byte) ([]rules.Match, bool) {
	if len(b) < 2 {
		return nil, false
	}
	mode, v := b[0], b[1]
	text := fmt.Sprintf("-m %s mode %d %d", name, mode, v)
	var ivs []rules.Interval
	switch mode {
	case 0, 1:
		ivs = []rules.Interval{rules.Point([]byte{v})}
	case 2:
		if v > 0 {
			ivs = []rules.Interval{{Lo: []byte{0}, Hi: []byte{v - 1}}}
		}
	case 3:
		if v < 255 {
			ivs = []rules.Interval{{Lo: []byte{v + 1}, Hi: []byte{255}}}
		}
	default:
		return nil, false
	}
	return []rules.Match{rules.NewMatch(rules.FieldHopLimit, mode == 1, text, ivs...)}, true
}

// xtRecent decodes recent as the iptables reader does: a --set puts the
// source on the list (a statement); --rcheck, --update and --remove test
// it, first contact assumed.
func (d *nlDecoder) xtRecent(x *xtExpr) ([]rules.Match, bool) {
	const check, set, update, remove = 1, 2, 4, 8
	b := x.info
	if len(b) < 210 {
		return nil, false
	}
	hits, flags, invert, name := ne.Uint32(b[4:]), b[8], b[9] != 0, cstring(b[10:210])
	text := fmt.Sprintf("-m recent --name %s", name)
	switch {
	case flags&(check|update|remove) != 0:
		return []rules.Match{{Negate: invert, Text: text, Recent: &rules.Recent{Name: name, HitCount: int(hits)}}}, true
	case flags&set != 0 && !invert:
		d.add(&effect{st: rules.Statement{Kind: rules.StmtRecentSet, Set: name, Text: text + " --set"}})
		return nil, true
	}
	return nil, false
}

// xtMatch decodes a match extension into model matches; false when it
// cannot.
func (d *nlDecoder) xtMatch(x *xtExpr) ([]rules.Match, bool) {
	b := x.info
	switch x.name {
	case "comment":
		return nil, true
	case "state":
		if len(b) < 4 {
			return nil, false
		}
		return ctBits(ne.Uint32(b), false, false, "-m state --state")
	case "conntrack":
		return xtConntrack(x.rev, b)
	case "tcp", "udp":
		return xtPorts(x.name, b)
	case "multiport":
		return xtMultiport(x.rev, b)
	case "icmp", "icmp6":
		return xtICMP(x.name, b)
	case "addrtype":
		return xtAddrtype(x.rev, b)
	case "mark":
		if len(b) < 9 || x.rev != 1 {
			return nil, false
		}
		m := rules.NewMatch(rules.FieldMark, b[8] != 0, fmt.Sprintf("-m mark --mark 0x%x/0x%x", ne.Uint32(b), ne.Uint32(b[4:])),
			rules.Point(rules.U32(ne.Uint32(b)&ne.Uint32(b[4:]))))
		m.Mask = rules.U32(ne.Uint32(b[4:]))
		return []rules.Match{m}, true
	case "hl", "ttl":
		return xtHopLimit(x.name, b)
	case "rt", "frag", "hbh", "dst":
		// The header must be there, whatever else is asked of it; a
		// probe carries none.
		bit := map[string]uint8{"rt": rules.ExtRouting, "frag": rules.ExtFragment, "hbh": rules.ExtHopByHop, "dst": rules.ExtDstOpts}[x.name]
		return []rules.Match{rules.AnyBit(rules.FieldExtHdr, false, "-m "+x.name, bit), rules.Opaque(fmt.Sprintf("xt match %q", x.name))}, true
	case "recent":
		return d.xtRecent(x)
	case "policy":
		return xtPolicy(b)
	case "rpfilter":
		return xtRPFilter(b)
	case "connlimit":
		return xtConnlimit(b)
	case "hashlimit":
		return xtHashlimit(x.rev, b)
	case "connmark":
		if len(b) < 9 || x.rev != 1 {
			return nil, false
		}
		m := rules.NewMatch(rules.FieldCtMark, b[8] != 0, fmt.Sprintf("-m connmark --mark 0x%x/0x%x", ne.Uint32(b), ne.Uint32(b[4:])),
			rules.Point(rules.U32(ne.Uint32(b)&ne.Uint32(b[4:]))))
		m.Mask = rules.U32(ne.Uint32(b[4:]))
		return []rules.Match{m}, true
	case "pkttype":
		if len(b) < 8 {
			return nil, false
		}
		return []rules.Match{rules.NewMatch(rules.FieldPktType, ne.Uint32(b[4:]) != 0, fmt.Sprintf("-m pkttype --pkt-type %d", ne.Uint32(b)),
			rules.Point([]byte{byte(ne.Uint32(b))}))}, true
	case "limit":
		if len(b) < 8 {
			return nil, false
		}
		avg, burst := ne.Uint32(b), ne.Uint32(b[4:])
		r := rules.Rate{PerSecond: 10000 / float64(max(avg, 1)), Burst: burst}
		return []rules.Match{rules.Limit(fmt.Sprintf("limit: avg %s burst %d", xtLimitRate(avg), burst), r, false)}, true
	}
	return nil, false
}

// ctBits is a state list of the state match (conntrack == false) or
// the conntrack match: both number the real states as nft does, then
// state has UNTRACKED at bit 6, and conntrack SNAT, DNAT and UNTRACKED at
// bits 6, 7 and 8.
func ctBits(mask uint32, neg, conntrack bool, text string) ([]rules.Match, bool) {
	type bit struct {
		bit   uint32
		model rules.CtState
		name  string
	}
	bits := []bit{{1, rules.CtInvalid, "INVALID"}, {2, rules.CtEstablished, "ESTABLISHED"}, {4, rules.CtRelated, "RELATED"},
		{8, rules.CtNew, "NEW"}, {64, rules.CtUntracked, "UNTRACKED"}}
	if conntrack {
		bits = append(bits[:4], bit{64, rules.CtSNAT, "SNAT"}, bit{128, rules.CtDNAT, "DNAT"}, bit{256, rules.CtUntracked, "UNTRACKED"})
	}
	var model uint8
	var names []string
	for _, b := range bits {
		if mask&b.bit != 0 {
			model |= uint8(b.model)
			names = append(names, b.name)
			mask &^= b.bit
		}
	}
	if mask != 0 || model == 0 {
		return nil, false
	}
	if neg {
		text = "! " + text
	}
	return []rules.Match{rules.AnyBit(rules.FieldCtState, neg, text+" "+strings.Join(names, ","), model)}, true
}

// xtConntrack decodes a conntrack match that only lists states.
func xtConntrack(rev uint32, b []byte) ([]rules.Match, bool) {
	const flagsOff, invOff, stateOff = 146, 148, 150
	const flagState, flagStateAlias = 1, 1 << 13
	if len(b) < stateOff+2 || rev < 1 || rev > 3 {
		return nil, false
	}
	flags, inv := ne.Uint16(b[flagsOff:]), ne.Uint16(b[invOff:])
	if flags&^(flagState|flagStateAlias) != 0 || flags&flagState == 0 {
		return nil, false
	}
	mask := uint32(b[stateOff])
	if rev >= 2 {
		mask = uint32(ne.Uint16(b[stateOff:]))
	}
	return ctBits(mask, inv&flagState != 0, true, "-m conntrack --ctstate")
}

// xtPorts decodes the tcp and udp matches: port ranges, and TCP flags.
func xtPorts(name string, b []byte) ([]rules.Match, bool) {
	if len(b) < 9 || name == "tcp" && len(b) < 12 {
		return nil, false
	}
	inv := b[8]
	if name == "tcp" {
		inv = b[11]
	}
	var out []rules.Match
	for i, f := range []rules.Field{rules.FieldSport, rules.FieldDport} {
		lo, hi := ne.Uint16(b[i*4:]), ne.Uint16(b[i*4+2:])
		neg := inv&(1<<i) != 0
		if lo == 0 && hi == 0xffff && !neg {
			continue
		}
		out = append(out, rules.NewMatch(f, neg, fmt.Sprintf("--%s %d:%d", map[int]string{0: "sport", 1: "dport"}[i], lo, hi),
			rules.PortRange(lo, hi)))
	}
	if name == "tcp" {
		if b[8] != 0 { // --tcp-option
			return nil, false
		}
		if mask := b[9]; mask != 0 {
			m := rules.NewMatch(rules.FieldTCPFlags, inv&4 != 0, fmt.Sprintf("--tcp-flags 0x%x 0x%x", mask, b[10]), rules.Point([]byte{b[10]}))
			m.Mask = []byte{mask}
			out = append(out, m)
		}
	}
	return out, true
}

// xtMultiport decodes multiport: up to 15 ports or ranges.
func xtMultiport(rev uint32, b []byte) ([]rules.Match, bool) {
	const src, dst = 0, 1
	if len(b) < 32 || rev == 1 && len(b) < 48 {
		return nil, false
	}
	flags, count := b[0], int(b[1])
	if count > 15 || flags != src && flags != dst {
		return nil, false // "either" direction is an OR of two fields
	}
	var ivs []rules.Interval
	var parts []string
	for i := 0; i < count; i++ {
		lo := ne.Uint16(b[2+2*i:])
		hi := lo
		if rev == 1 && b[32+i] != 0 && i+1 < count {
			i++
			hi = ne.Uint16(b[2+2*i:])
		}
		ivs = append(ivs, rules.PortRange(lo, hi))
		parts = append(parts, fmt.Sprintf("%d:%d", lo, hi))
	}
	neg := rev == 1 && b[47] != 0
	f, opt := rules.FieldDport, "--dports"
	if flags == src {
		f, opt = rules.FieldSport, "--sports"
	}
	return []rules.Match{rules.NewMatch(f, neg, "-m multiport "+opt+" "+strings.Join(parts, ","), ivs...)}, true
}

// xtICMP decodes icmp and icmp6: a type and a range of codes.
func xtICMP(name string, b []byte) ([]rules.Match, bool) {
	if len(b) < 4 {
		return nil, false
	}
	typ, lo, hi, neg := b[0], b[1], b[2], b[3]&1 != 0
	text := fmt.Sprintf("--%s-type %d/%d:%d", name, typ, lo, hi)
	if typ == 0xff && !neg {
		return nil, true // any type
	}
	if lo == 0 && hi == 0xff {
		return []rules.Match{rules.NewMatch(rules.FieldICMPType, neg, text, rules.Point([]byte{typ}))}, true
	}
	if neg {
		return nil, false // not (type and code): no single match says it
	}
	return []rules.Match{
		rules.NewMatch(rules.FieldICMPType, false, text, rules.Point([]byte{typ})),
		rules.NewMatch(rules.FieldICMPCode, false, text, rules.Interval{Lo: []byte{lo}, Hi: []byte{hi}}),
	}, true
}

// xtAddrtype decodes addrtype: sets of routing types of the addresses.
func xtAddrtype(rev uint32, b []byte) ([]rules.Match, bool) {
	var srcT, dstT uint16
	var invS, invD bool
	switch {
	case rev == 0 && len(b) >= 12:
		srcT, dstT, invS, invD = ne.Uint16(b), ne.Uint16(b[2:]), ne.Uint32(b[4:]) != 0, ne.Uint32(b[8:]) != 0
	case rev == 1 && len(b) >= 8:
		flags := ne.Uint32(b[4:])
		if flags&^3 != 0 {
			return nil, false // limited to an interface
		}
		srcT, dstT, invS, invD = ne.Uint16(b), ne.Uint16(b[2:]), flags&1 != 0, flags&2 != 0
	default:
		return nil, false
	}
	var out []rules.Match
	for _, t := range []struct {
		types uint16
		neg   bool
		f     rules.Field
		opt   string
	}{{srcT, invS, rules.FieldSType, "--src-type"}, {dstT, invD, rules.FieldDType, "--dst-type"}} {
		if t.types == 0 {
			continue
		}
		var ivs []rules.Interval
		for bit := 0; bit < 12; bit++ {
			if t.types&(1<<bit) != 0 {
				ivs = append(ivs, rules.Point([]byte{byte(bit)}))
			}
		}
		out = append(out, rules.NewMatch(t.f, t.neg, fmt.Sprintf("-m addrtype %s 0x%x", t.opt, t.types), ivs...))
	}
	return out, true
}

// xtTarget decodes a target extension. One it cannot decode is recorded
// when it never ends the walk (rules.NonTerminating), else an unknown
// target the evaluator forks on.
func (d *nlDecoder) xtTarget(x *xtExpr) {
	switch {
	case d.xtKnownTarget(x):
	case rules.NonTerminating(x.name):
		d.add(other("-j " + x.name))
	default:
		d.add(unknownTarget(d.tr.t, x.name, fmt.Sprintf("xt target %s", quote.Q(x.name))))
	}
}

// xtKnownTarget decodes the targets perimeter reads; false when it cannot.
func (d *nlDecoder) xtKnownTarget(x *xtExpr) bool {
	b := x.info
	switch x.name {
	case "LOG":
		if len(b) >= 32 {
			l := rules.Log{Kind: "LOG", Prefix: cstring(b[2:32])}
			if int(b[0]) < len(logLevels) {
				l.Level = logLevels[b[0]]
			}
			d.add(&effect{st: rules.Statement{Kind: rules.StmtLog, Log: &l, Text: fmt.Sprintf("-j LOG --log-prefix %q", l.Prefix)}})
			return true
		}
	case "NFLOG":
		if len(b) >= 76 {
			l := rules.Log{Kind: "NFLOG", Group: int(ne.Uint16(b[4:])), Prefix: cstring(b[12:76])}
			d.add(&effect{st: rules.Statement{Kind: rules.StmtLog, Log: &l, Text: fmt.Sprintf("-j NFLOG --nflog-group %d", l.Group)}})
			return true
		}
	case "REJECT":
		if v, ok := xtReject(d.fam, b); ok {
			d.add(&verdictItem{v: v, text: "-j REJECT --reject-with " + v.RejectWith})
			return true
		}
	case "MARK":
		if len(b) >= 8 && x.rev == 2 {
			st := rules.Statement{Kind: rules.StmtSetMark, Value: ne.Uint32(b), Mask: ne.Uint32(b[4:]),
				Text: fmt.Sprintf("-j MARK --set-xmark 0x%x/0x%x", ne.Uint32(b), ne.Uint32(b[4:]))}
			d.add(&effect{st: st})
			return true
		}
	case "CONNMARK":
		if st, ok := xtConnmark(x.rev, b); ok {
			d.add(&effect{st: st})
			return true
		}
	case "CT":
		if len(b) >= 2 {
			if ne.Uint16(b)&1 != 0 { // XT_CT_NOTRACK
				d.add(&effect{st: rules.Statement{Kind: rules.StmtNotrack, Text: "-j CT --notrack"}})
			} else {
				d.add(other("-j CT"))
			}
			return true
		}
	case "NOTRACK":
		d.add(&effect{st: rules.Statement{Kind: rules.StmtNotrack, Text: "-j NOTRACK"}})
		return true
	case "NFQUEUE":
		if len(b) >= 2 {
			q := fmt.Sprintf("num %d", ne.Uint16(b))
			d.add(&verdictItem{v: rules.Verdict{Kind: rules.Queue, Queue: q}, text: "-j NFQUEUE --queue-" + q})
			return true
		}
	case "DNAT", "REDIRECT":
		if t, ok := xtNAT(x.rev, d.fam, b); ok {
			kind := rules.DNAT
			if x.name == "REDIRECT" {
				kind = rules.Redirect
			}
			d.add(&verdictItem{v: rules.Verdict{Kind: kind, NAT: t.model()}, text: "-j " + x.name + " " + t.String()})
			return true
		}
	case "SNAT", "MASQUERADE":
		d.add(other("-j " + x.name))
		d.add(&verdictItem{v: rules.Verdict{Kind: rules.Accept}})
		return true
	}
	return false
}

// xtReject decodes REJECT's reject type: the kernel's numbering of the
// family's types.
func xtReject(fam rules.Family, b []byte) (rules.Verdict, bool) {
	if len(b) < 4 {
		return rules.Verdict{}, false
	}
	t, ok := reject.ByXT(fam == rules.FamilyIPv6, ne.Uint32(b))
	if !ok {
		return rules.Verdict{}, false
	}
	return rejectWith(t.Name), true
}

// xtConnmark decodes CONNMARK's set, save and restore (revisions 1 and
// 2; a shift of revision 2 is left undecoded).
func xtConnmark(rev uint32, b []byte) (rules.Statement, bool) {
	var mode byte
	switch {
	case rev == 1 && len(b) >= 13:
		mode = b[12]
	case rev == 2 && len(b) >= 15 && b[13] == 0:
		mode = b[14]
	default:
		return rules.Statement{}, false
	}
	ctmark, ctmask, nfmask := ne.Uint32(b), ne.Uint32(b[4:]), ne.Uint32(b[8:])
	all := ^uint32(0)
	switch {
	case mode == 0:
		return rules.Statement{Kind: rules.StmtSetCtMark, Value: ctmark, Mask: ctmask, Text: fmt.Sprintf("-j CONNMARK --set-xmark 0x%x/0x%x", ctmark, ctmask)}, true
	case mode == 1 && ctmask == all:
		return rules.Statement{Kind: rules.StmtSaveMark, Mask: nfmask, Text: fmt.Sprintf("-j CONNMARK --save-mark --nfmask 0x%x", nfmask)}, true
	case mode == 2 && nfmask == all:
		return rules.Statement{Kind: rules.StmtRestoreMark, Mask: ctmask, Text: fmt.Sprintf("-j CONNMARK --restore-mark --ctmask 0x%x", ctmask)}, true
	}
	return rules.Statement{}, false
}

// xtNAT decodes DNAT's and REDIRECT's ranges: revision 0 is IPv4's
// multi-range, later ones nf_nat_range.
func xtNAT(rev uint32, fam rules.Family, b []byte) (natTarget, bool) {
	const mapIPs, protoSpecified = 1, 2
	var t natTarget
	var flags uint32
	var lo, hi, plo, phi []byte
	switch {
	case rev == 0 && len(b) >= 20 && fam == rules.FamilyIPv4:
		if ne.Uint32(b) != 1 {
			return t, false
		}
		flags, lo, hi, plo, phi = ne.Uint32(b[4:]), b[8:12], b[12:16], b[16:18], b[18:20]
	case rev >= 1 && len(b) >= 40:
		n := 16
		if fam == rules.FamilyIPv4 {
			n = 4
		}
		flags, lo, hi, plo, phi = ne.Uint32(b), b[4:4+n], b[20:20+n], b[36:38], b[38:40]
	default:
		return t, false
	}
	if flags&mapIPs != 0 {
		t.addr, _ = netip.AddrFromSlice(bytes.Clone(lo))
		t.addrHi, _ = netip.AddrFromSlice(bytes.Clone(hi))
	}
	if flags&protoSpecified != 0 {
		t.port, t.portHi = binary.BigEndian.Uint16(plo), binary.BigEndian.Uint16(phi)
	}
	return t, true
}

// xtLimitRate spells limit's average, the interval between packets in
// 1/10000 s, as iptables prints it: the largest unit that keeps it whole.
func xtLimitRate(avg uint32) string {
	const scale = 10000
	units := []struct {
		name string
		mult uint64
	}{{"day", scale * 86400}, {"hour", scale * 3600}, {"min", scale * 60}, {"sec", scale}}
	period := max(uint64(avg), 1)
	i := 1
	for ; i < len(units); i++ {
		if period > units[i].mult || units[i].mult/period < units[i].mult%period {
			break
		}
	}
	return fmt.Sprintf("%d/%s", units[i-1].mult/period, units[i-1].name)
}

// xtPolicy decodes policy's flags (struct xt_policy_info: four 76-byte
// policy elements, then the flags): --pol none holds for a packet without
// IPsec, --pol ipsec for one with it; what the elements ask of the
// security association matters only over IPsec.
func xtPolicy(b []byte) ([]rules.Match, bool) {
	const elems, none = 4 * 76, 0x4
	if len(b) < elems+2 {
		return nil, false
	}
	flags := ne.Uint16(b[elems:])
	dir, pol := "in", "ipsec"
	if flags&0x2 != 0 {
		dir = "out"
	}
	if flags&none != 0 {
		pol = "none"
	}
	text := fmt.Sprintf("-m policy --dir %s --pol %s", dir, pol)
	return []rules.Match{rules.NewMatch(rules.FieldIPsec, pol == "none", text, rules.Point(rules.U8(1)))}, true
}

// xtRPFilter decodes rpfilter's flags (loose 1, validmark 2, accept-local
// 4, invert 8), as the iptables reader reads the options.
func xtRPFilter(b []byte) ([]rules.Match, bool) {
	if len(b) < 1 {
		return nil, false
	}
	f, text := rules.FieldRPFilter, "-m rpfilter"
	if b[0]&1 != 0 {
		f, text = rules.FieldRPFilterLoose, text+" --loose"
	}
	if b[0]&8 != 0 {
		text += " --invert"
	}
	return []rules.Match{rules.NewMatch(f, b[0]&8 != 0, text, rules.Point(rules.U8(1)))}, true
}

// xtConnlimit decodes connlimit (struct xt_connlimit_info: a 16-byte
// mask, the limit, the flags): it holds beyond the limit, or, inverted
// (--connlimit-upto), up to it. How many connections a source holds open
// is its choice.
func xtConnlimit(b []byte) ([]rules.Match, bool) {
	if len(b) < 24 {
		return nil, false
	}
	limit, invert := ne.Uint32(b[16:]), ne.Uint32(b[20:])&1 != 0
	text := fmt.Sprintf("-m connlimit --connlimit-above %d", limit)
	if invert {
		text = fmt.Sprintf("-m connlimit --connlimit-upto %d", limit)
	}
	return []rules.Match{rules.Chosen(text, invert, fmt.Sprintf("with more than %d connections open", limit))}, true
}

// xtHashlimit decodes hashlimit's rate, burst and mode: revision 1 keeps
// them after a 16-byte name, as 32-bit fields in 1/10000 s; revisions 2
// and 3 after a 255-byte name (256 with padding), as 64-bit ones in
// 1/1000000 s. A byte rate is no packet rate.
func xtHashlimit(rev uint32, b []byte) ([]rules.Match, bool) {
	const above, bytes = 1 << 4, 1 << 5 // XT_HASHLIMIT_INVERT, XT_HASHLIMIT_BYTES
	var avg, burst uint64
	var mode uint32
	switch {
	case rev == 1 && len(b) >= 28:
		mode, avg, burst = ne.Uint32(b[16:]), uint64(ne.Uint32(b[20:]))*100, uint64(ne.Uint32(b[24:]))
	case rev >= 2 && len(b) >= 276:
		avg, burst, mode = ne.Uint64(b[256:]), ne.Uint64(b[264:]), ne.Uint32(b[272:])
	default:
		return nil, false
	}
	r := rules.Rate{Burst: uint32(burst)}
	if mode&bytes == 0 && avg > 0 {
		r.PerSecond = 1e6 / float64(avg)
	}
	text := fmt.Sprintf("-m hashlimit --hashlimit-upto %s", r)
	if mode&above != 0 {
		text = fmt.Sprintf("-m hashlimit --hashlimit-above %s", r)
	}
	return []rules.Match{rules.Limit(text, r, mode&above != 0)}, true
}
