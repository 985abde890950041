package reject

import "strings"

// Type is one reject type of iptables' REJECT target (ip6tables' for V6).
type Type struct {
	Name     string // iptables' spelling, as iptables-save prints it: "icmp-port-unreachable"
	Alias    string // the short alias libipt_REJECT and libip6t_REJECT also take: "port-unreach"
	V6       bool   // an ip6tables type: ICMPv6 (tcp-reset has an entry in each family)
	ICMPType uint8  // destination unreachable: 3, or ICMPv6's 1; 0 for tcp-reset
	Code     uint8  // the destination-unreachable code it sends
	XT       uint32 // its number in the kernel's enum ipt_reject_with / ip6t_reject_with
	Nft      string // nft's name of the code ("port-unreachable"); "" for tcp-reset
	ICMPX    int    // nft's icmpx code that sends it in its family; -1: none does
}

// TCPReset is the reject type that answers with a TCP RST, in both
// families.
const TCPReset = "tcp-reset"

// IsTCPReset reports whether t answers with a RST rather than an ICMP error.
func (t Type) IsTCPReset() bool { return t.Name == TCPReset }

// ICMP destination-unreachable types.
const (
	unreach4 = 3
	unreach6 = 1
)

// types are the reject types in the order of libipt_REJECT's and
// libip6t_REJECT's tables: iptables takes the first whose name or alias
// an argument is a prefix of. The codes are RFC 792/1812 and RFC 4443's;
// the xt numbers the kernel's; the icmpx mapping nft_reject's.
var types = []Type{
	{"icmp-net-unreachable", "net-unreach", false, unreach4, 0, 0, "net-unreachable", 0},
	{"icmp-host-unreachable", "host-unreach", false, unreach4, 1, 1, "host-unreachable", 2},
	{"icmp-proto-unreachable", "proto-unreach", false, unreach4, 2, 2, "prot-unreachable", -1},
	{"icmp-port-unreachable", "port-unreach", false, unreach4, 3, 3, "port-unreachable", 1},
	{"icmp-net-prohibited", "net-prohib", false, unreach4, 9, 5, "net-prohibited", -1},
	{"icmp-host-prohibited", "host-prohib", false, unreach4, 10, 6, "host-prohibited", -1},
	{TCPReset, "tcp-rst", false, 0, 0, 7, "", -1},
	{"icmp-admin-prohibited", "admin-prohib", false, unreach4, 13, 8, "admin-prohibited", 3},

	{"icmp6-no-route", "no-route", true, unreach6, 0, 0, "no-route", 0},
	{"icmp6-adm-prohibited", "adm-prohibited", true, unreach6, 1, 1, "admin-prohibited", 3},
	{"icmp6-addr-unreachable", "addr-unreach", true, unreach6, 3, 3, "addr-unreachable", 2},
	{"icmp6-port-unreachable", "port-unreach", true, unreach6, 4, 4, "port-unreachable", 1},
	{TCPReset, TCPReset, true, 0, 0, 6, "", -1},
	{"icmp6-policy-fail", "policy-fail", true, unreach6, 5, 7, "policy-fail", -1},
	{"icmp6-reject-route", "reject-route", true, unreach6, 6, 8, "reject-route", -1},
}

// icmpxNames are nft's names of the icmpx codes, by code.
var icmpxNames = [...]string{"no-route", "port-unreachable", "host-unreachable", "admin-prohibited"}

// find is the first type of the family for which ok holds.
func find(v6 bool, ok func(Type) bool) (Type, bool) {
	for _, t := range types {
		if t.V6 == v6 && ok(t) {
			return t, true
		}
	}
	return Type{}, false
}

// ByIptables reads an argument of --reject-with as iptables does: any
// prefix of a type's name or alias, case ignored; the first type in
// iptables' order wins.
func ByIptables(arg string, v6 bool) (Type, bool) {
	if arg == "" {
		return Type{}, false
	}
	l := strings.ToLower(arg)
	return find(v6, func(t Type) bool { return strings.HasPrefix(t.Name, l) || strings.HasPrefix(t.Alias, l) })
}

// ByName is the type of the family with exactly that iptables name.
func ByName(name string, v6 bool) (Type, bool) {
	return find(v6, func(t Type) bool { return t.Name == name })
}

// ByCode is the type that sends ICMP type icmpType with code (ICMPv6 when
// v6).
func ByCode(v6 bool, icmpType, code uint8) (Type, bool) {
	return find(v6, func(t Type) bool { return t.ICMPType == icmpType && t.Code == code && !t.IsTCPReset() })
}

// ByXT is the type the kernel's xt REJECT target numbers index.
func ByXT(v6 bool, index uint32) (Type, bool) {
	return find(v6, func(t Type) bool { return t.XT == index })
}

// ByNft is the type whose code nft names name ("admin-prohibited").
func ByNft(v6 bool, name string) (Type, bool) {
	return find(v6, func(t Type) bool { return t.Nft == name && name != "" })
}

// ByICMPX is the type nft's icmpx code sends to a packet of the family.
func ByICMPX(v6 bool, code uint8) (Type, bool) {
	return find(v6, func(t Type) bool { return t.ICMPX == int(code) })
}

// ICMPXName is nft's name of an icmpx code.
func ICMPXName(code uint8) (string, bool) {
	if int(code) < len(icmpxNames) {
		return icmpxNames[code], true
	}
	return "", false
}

// ICMPXCode is the icmpx code nft names name.
func ICMPXCode(name string) (uint8, bool) {
	for c, n := range icmpxNames {
		if n == name {
			return uint8(c), true
		}
	}
	return 0, false
}
