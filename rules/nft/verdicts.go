package nft

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/internal/reject"
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
		text := "reject with icmpx " + icmpxText(code)
		if code == 1 {
			text = "reject"
		}
		return familyVerdicts(pkt, text, icmpxReject(false, code), icmpxReject(true, code))
	}
	v4, v6 := reject.Name(false, code), reject.Name(true, code)
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

func icmpxText(code uint8) string {
	if n, ok := reject.ICMPXName(code); ok {
		return n
	}
	return fmt.Sprint(code)
}

// icmpxReject is the reject type an icmpx code sends to a packet of the
// family (the kernel refuses codes it has none for).
func icmpxReject(v6 bool, code uint8) string {
	if t, ok := reject.ByICMPX(v6, code); ok {
		return t.Name
	}
	return reject.Name(v6, code)
}

func rejectWith(s string) rules.Verdict { return rules.Verdict{Kind: rules.Reject, RejectWith: s} }

// unknownTarget is an iptables target iptables-nft kept as an xt
// extension that perimeter cannot read and that may end the packet's
// walk: the evaluator forks on it. The table's notes name it once.
func unknownTarget(t *irTable, name, text string) *verdictItem {
	note := fmt.Sprintf("table %s %s: unknown target %s: it may end the packet's walk, so what follows it is undecided",
		familyName(t.family), t.name, quote.Q(name))
	if !slices.Contains(t.notes, note) {
		t.notes = append(t.notes, note)
	}
	return &verdictItem{v: rules.Verdict{Kind: rules.UnknownTarget, Target: name}, text: text}
}

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
