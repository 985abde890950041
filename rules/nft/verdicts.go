package nft

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// Shared by both readers: families, hooks, rejects, NAT and marks, so the
// two build the same verdicts and statements.

var familyByName = map[string]rules.Family{
	"ip": rules.FamilyIPv4, "ip6": rules.FamilyIPv6, "inet": rules.FamilyInet,
	"netdev": rules.FamilyNetdev, "bridge": rules.FamilyBridge, "arp": rules.FamilyARP,
}

// familyName is nft's name of a model family.
func familyName(f rules.Family) string {
	for k, v := range familyByName {
		if v == f {
			return k
		}
	}
	return string(f)
}

// hookEgress is the netdev egress hook: outgoing, so never evaluated.
const hookEgress rules.Hook = "egress"

func hookByName(s string) rules.Hook {
	switch s {
	case "ingress":
		return rules.HookIngress
	case "egress":
		return hookEgress
	case "prerouting":
		return rules.HookPrerouting
	case "input":
		return rules.HookInput
	case "forward":
		return rules.HookForward
	case "output":
		return rules.HookOutput
	case "postrouting":
		return rules.HookPostrouting
	}
	return rules.Hook(s)
}

// hookByNum maps the kernel's hook numbers of a family.
func hookByNum(f rules.Family, n uint32) rules.Hook {
	if f == rules.FamilyNetdev {
		if n == 0 {
			return rules.HookIngress
		}
		return hookEgress
	}
	if f == rules.FamilyARP {
		return rules.Hook(fmt.Sprintf("arp-%d", n))
	}
	hooks := []rules.Hook{rules.HookPrerouting, rules.HookInput, rules.HookForward, rules.HookOutput, rules.HookPostrouting, rules.HookIngress}
	if int(n) < len(hooks) {
		return hooks[n]
	}
	return rules.Hook(fmt.Sprintf("hook-%d", n))
}

// Reject types of the kernel's reject expression.
const (
	rejectICMP  = 0 // ICMP (or ICMPv6) unreachable, code by the packet's family
	rejectTCP   = 1 // TCP reset
	rejectICMPX = 2 // family-independent code
)

var (
	reject4 = map[uint8]string{0: rules.RejectNetUnreach, 1: rules.RejectHostUnreach, 2: rules.RejectProtoUnreach,
		3: rules.RejectPortUnreach, 9: rules.RejectNetProhib, 10: rules.RejectHostProhib, 13: rules.RejectAdminProhib}
	reject6 = map[uint8]string{0: rules.RejectNoRoute6, 1: rules.RejectAdminProhib6, 3: rules.RejectAddrUnreach6,
		4: rules.RejectPortUnreach6, 5: rules.RejectPolicyFail6, 6: rules.RejectRejectRoute6}
	// ICMPX codes: no-route, port-unreachable, host-unreachable,
	// admin-prohibited, as the kernel sends them per family.
	rejectX4   = map[uint8]string{0: rules.RejectNetUnreach, 1: rules.RejectPortUnreach, 2: rules.RejectHostUnreach, 3: rules.RejectAdminProhib}
	rejectX6   = map[uint8]string{0: rules.RejectNoRoute6, 1: rules.RejectPortUnreach6, 2: rules.RejectAddrUnreach6, 3: rules.RejectAdminProhib6}
	icmpxNames = map[uint8]string{0: "no-route", 1: "port-unreachable", 2: "host-unreachable", 3: "admin-prohibited"}
)

// rejectItem builds a reject verdict. fam is the table's family, ctx the
// packet family the rule's matches fixed ("" when none). Where the ICMP
// type depends on the packet's family, the verdict has one variant per
// family.
func rejectItem(fam, ctx rules.Family, typ int, code uint8) *verdictItem {
	pkt := ctx
	if fam == rules.FamilyIPv4 || fam == rules.FamilyIPv6 {
		pkt = fam
	}
	switch typ {
	case rejectTCP:
		return &verdictItem{v: rejectWith(rules.RejectTCPReset), text: "reject with tcp reset"}
	case rejectICMPX:
		text := "reject with icmpx " + codeName(icmpxNames, code)
		if code == 1 {
			text = "reject"
		}
		return familyVerdicts(pkt, text, lookupReject(rejectX4, code, "icmp"), lookupReject(rejectX6, code, "icmpv6"))
	}
	v4, v6 := lookupReject(reject4, code, "icmp"), lookupReject(reject6, code, "icmpv6")
	switch pkt {
	case rules.FamilyIPv4:
		return &verdictItem{v: rejectWith(v4), text: rejectText("icmp", dtICMPCode, code, 3)}
	case rules.FamilyIPv6:
		return &verdictItem{v: rejectWith(v6), text: rejectText("icmpv6", dtICMPv6Code, code, 4)}
	}
	return familyVerdicts(pkt, fmt.Sprintf("reject with icmp code %d", code), v4, v6)
}

func rejectText(proto string, dt dtype, code, dflt uint8) string {
	if code == dflt {
		return "reject"
	}
	return "reject with " + proto + " " + formatValue(dt, []byte{code})
}

func codeName(names map[uint8]string, code uint8) string {
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprint(code)
}

func lookupReject(m map[uint8]string, code uint8, proto string) string {
	if s, ok := m[code]; ok {
		return s
	}
	return fmt.Sprintf("%s-unreachable-code-%d", proto, code)
}

func rejectWith(s string) rules.Verdict { return rules.Verdict{Kind: rules.Reject, RejectWith: s} }

// familyVerdicts is the verdict v4 for IPv4 packets and v6 for IPv6 ones:
// one verdict when the family is known or both agree, else a variant per
// family.
func familyVerdicts(pkt rules.Family, text, v4, v6 string) *verdictItem {
	switch {
	case pkt == rules.FamilyIPv4:
		return &verdictItem{v: rejectWith(v4), text: text}
	case pkt == rules.FamilyIPv6:
		return &verdictItem{v: rejectWith(v6), text: text}
	case v4 == rules.RejectPortUnreach && v6 == rules.RejectPortUnreach6:
		// The model's port-unreachable stands for both families.
		return &verdictItem{v: rejectWith(v4), text: text}
	}
	return &verdictItem{text: text, variants: []variant{
		{matches: []*match{nfprotoMatch(rules.FamilyIPv4)}, v: rejectWith(v4)},
		{matches: []*match{nfprotoMatch(rules.FamilyIPv6)}, v: rejectWith(v6)},
	}}
}

// nfprotoMatch is the implicit match "meta nfproto ipv4|ipv6".
func nfprotoMatch(f rules.Family) *match {
	k, _ := metaByName("nfproto")
	v := byte(2)
	if f == rules.FamilyIPv6 {
		v = 10
	}
	return &match{sels: []sel{k.sel()}, elems: []elem{{{[]byte{v}, []byte{v}}}}, op: "==", implicit: true}
}

// l4Match is the implicit match "meta l4proto p".
func l4Match(p uint8) *match {
	k, _ := metaByName("l4proto")
	return &match{sels: []sel{k.sel()}, elems: []elem{{{[]byte{p}, []byte{p}}}}, op: "==", implicit: true}
}

// natTarget is where a NAT statement sends packets.
type natTarget struct {
	addr, addrHi netip.Addr
	port, portHi uint16
}

func (n natTarget) model() *rules.NAT {
	if !n.addr.IsValid() && n.port == 0 {
		return nil
	}
	return &rules.NAT{Addr: n.addr, AddrHi: n.addrHi, Port: n.port, PortHi: n.portHi}
}

func (n natTarget) String() string {
	var b strings.Builder
	if n.addr.IsValid() {
		a := n.addr.String()
		if n.addr.Is6() && n.port != 0 {
			a = "[" + a + "]"
		}
		b.WriteString(a)
		if n.addrHi.IsValid() && n.addrHi != n.addr {
			b.WriteString("-" + n.addrHi.String())
		}
	}
	if n.port != 0 {
		fmt.Fprintf(&b, ":%d", n.port)
		if n.portHi != 0 && n.portHi != n.port {
			fmt.Fprintf(&b, "-%d", n.portHi)
		}
	}
	return b.String()
}

// markStmt builds a mark statement: mark = (mark & and) ^ xor, read from
// a constant (src ""), the other mark ("ct mark" or "meta mark") or this
// mark itself.
func markStmt(dst string, src string, and, xor uint32) (rules.Statement, bool) {
	ct := dst == "ct mark"
	switch {
	case src == "":
		k := rules.StmtSetMark
		if ct {
			k = rules.StmtSetCtMark
		}
		return rules.Statement{Kind: k, Value: xor, Mask: ^uint32(0), Text: fmt.Sprintf("%s set 0x%08x", dst, xor)}, true
	case src == dst:
		k := rules.StmtSetMark
		if ct {
			k = rules.StmtSetCtMark
		}
		text := fmt.Sprintf("%s set %s & 0x%08x ^ 0x%08x", dst, dst, and, xor)
		return rules.Statement{Kind: k, Value: xor, Mask: ^and, Text: text}, true
	case xor != 0:
		return rules.Statement{}, false
	case ct:
		return rules.Statement{Kind: rules.StmtSaveMark, Mask: and, Text: fmt.Sprintf("ct mark set meta mark & 0x%08x", and)}, true
	}
	return rules.Statement{Kind: rules.StmtRestoreMark, Mask: and, Text: fmt.Sprintf("meta mark set ct mark & 0x%08x", and)}, true
}

func other(text string) *effect {
	return &effect{st: rules.Statement{Kind: rules.StmtOther, Text: text}}
}

// queueText spells a queue verdict's arguments.
func queueText(num, total uint16, flags []string) string {
	s := fmt.Sprintf("num %d", num)
	if total > 1 {
		s = fmt.Sprintf("num %d-%d", num, num+total-1)
	}
	if len(flags) > 0 {
		s += " " + strings.Join(flags, ",")
	}
	return s
}
