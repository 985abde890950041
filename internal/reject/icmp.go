package reject

import (
	"fmt"
	"strconv"
	"strings"
)

// ICMP is the ICMP (v6: ICMPv6) type and code a reject type sends to a
// packet of the family. name is the model's name of the type: the
// table's iptables spelling, or Name's "icmp-unreachable-code-N" for a
// code no type has. A type of the other family stands for its icmpx
// counterpart (nft's "reject" in an inet table answers port-unreachable
// in each family's terms). ok is false for tcp-reset, which sends no
// ICMP, and for unknown names.
func ICMP(name string, v6 bool) (typ, code uint8, ok bool) {
	t, ok := ByName(name, v6)
	if !ok {
		t, ok = counterpart(name, v6)
	}
	if ok && !t.IsTCPReset() {
		return t.ICMPType, t.Code, true
	}
	if c, ok := unnamedCode(name, v6); ok {
		return unreachType(v6), c, true
	}
	return 0, 0, false
}

// InFamily is the name of the reject type name as a packet of the family
// meets it: a type of the other family stands for its icmpx counterpart,
// as in ICMP. The model names nft's plain "reject" in an inet table, one
// verdict for both families, by its IPv4 type; an IPv6 packet it rejects
// gets ICMPv6 port unreachable, which must read as ip6tables spells it,
// "icmp6-port-unreachable". tcp-reset, and names the table does not know,
// stay as they are.
func InFamily(name string, v6 bool) string {
	if _, ok := ByName(name, v6); ok {
		return name
	}
	if t, ok := counterpart(name, v6); ok {
		return t.Name
	}
	return name
}

// counterpart is the type of the family that the same icmpx code sends as
// the other family's type name.
func counterpart(name string, v6 bool) (Type, bool) {
	other, ok := ByName(name, !v6)
	if !ok || other.ICMPX < 0 {
		return Type{}, false
	}
	return ByICMPX(v6, uint8(other.ICMPX))
}

// Name is the model's name of the reject that sends destination-unreachable
// code: the table's iptables name, or "icmp-unreachable-code-N"
// ("icmpv6-..." for v6) for a code no reject type has (nft may reject with
// any code).
func Name(v6 bool, code uint8) string {
	if t, ok := ByCode(v6, unreachType(v6), code); ok {
		return t.Name
	}
	return unnamedPrefix(v6) + strconv.Itoa(int(code))
}

func unnamedPrefix(v6 bool) string {
	if v6 {
		return "icmpv6-unreachable-code-"
	}
	return "icmp-unreachable-code-"
}

func unnamedCode(name string, v6 bool) (uint8, bool) {
	s, ok := strings.CutPrefix(name, unnamedPrefix(v6))
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 8)
	return uint8(n), err == nil && strconv.FormatUint(n, 10) == s
}

func unreachType(v6 bool) uint8 {
	if v6 {
		return unreach6
	}
	return unreach4
}

// Code is a destination-unreachable code and its name.
type Code struct {
	Name string
	Code uint8
}

// extraCodes are destination-unreachable codes no reject type sends that
// a prober still meets: a path MTU too small, and (perimeter's name; nft
// has none) an ICMPv6 source address beyond the destination's scope.
var extraCodes = []struct {
	v6, nft bool
	Code
}{
	{false, true, Code{"frag-needed", 4}},
	{true, false, Code{"beyond-scope", 2}},
}

// NftCodes are the destination-unreachable codes nft has names for, as
// `icmp code` and `reject with icmp` take them (ICMPv6's when v6).
func NftCodes(v6 bool) []Code {
	var out []Code
	for _, t := range types {
		if t.V6 == v6 && t.Nft != "" {
			out = append(out, Code{t.Nft, t.Code})
		}
	}
	for _, e := range extraCodes {
		if e.v6 == v6 && e.nft {
			out = append(out, e.Code)
		}
	}
	return out
}

// ICMPName names an ICMP error as a prober reports it: a
// destination-unreachable code by nft's name of it ("port-unreachable",
// "admin-prohibited", "frag-needed"), anything else "icmp-TYPE-CODE" or
// "icmpv6-TYPE-CODE".
func ICMPName(v6 bool, icmpType, code uint8) string {
	if icmpType == unreachType(v6) {
		if t, ok := ByCode(v6, icmpType, code); ok {
			return t.Nft
		}
		for _, e := range extraCodes {
			if e.v6 == v6 && e.Code.Code == code {
				return e.Name
			}
		}
	}
	if v6 {
		return fmt.Sprintf("icmpv6-%d-%d", icmpType, code)
	}
	return fmt.Sprintf("icmp-%d-%d", icmpType, code)
}
