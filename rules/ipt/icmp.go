package ipt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// icmpName is one of the names iptables' icmp and icmp6 matches know. A
// name that implies a code (port-unreachable is 3/3) has code >= 0.
type icmpName struct {
	name string
	typ  uint8
	code int
}

// icmpNames and icmp6Names are iptables' tables (libxtables
// xtables_icmp_types, in their order: prefixes are looked up in it).
var icmpNames = []icmpName{
	{"any", 255, -1},
	{"echo-reply", 0, -1}, {"pong", 0, -1},
	{"destination-unreachable", 3, -1},
	{"network-unreachable", 3, 0}, {"host-unreachable", 3, 1},
	{"protocol-unreachable", 3, 2}, {"port-unreachable", 3, 3},
	{"fragmentation-needed", 3, 4}, {"source-route-failed", 3, 5},
	{"network-unknown", 3, 6}, {"host-unknown", 3, 7},
	{"network-prohibited", 3, 9}, {"host-prohibited", 3, 10},
	{"TOS-network-unreachable", 3, 11}, {"TOS-host-unreachable", 3, 12},
	{"communication-prohibited", 3, 13}, {"host-precedence-violation", 3, 14},
	{"precedence-cutoff", 3, 15},
	{"source-quench", 4, -1},
	{"redirect", 5, -1}, {"network-redirect", 5, 0}, {"host-redirect", 5, 1},
	{"TOS-network-redirect", 5, 2}, {"TOS-host-redirect", 5, 3},
	{"echo-request", 8, -1}, {"ping", 8, -1},
	{"router-advertisement", 9, -1}, {"router-solicitation", 10, -1},
	{"time-exceeded", 11, -1}, {"ttl-exceeded", 11, -1},
	{"ttl-zero-during-transit", 11, 0}, {"ttl-zero-during-reassembly", 11, 1},
	{"parameter-problem", 12, -1}, {"ip-header-bad", 12, 0},
	{"required-option-missing", 12, 1},
	{"timestamp-request", 13, -1}, {"timestamp-reply", 14, -1},
	{"address-mask-request", 17, -1}, {"address-mask-reply", 18, -1},
}

var icmp6Names = []icmpName{
	{"destination-unreachable", 1, -1},
	{"no-route", 1, 0}, {"communication-prohibited", 1, 1},
	{"beyond-scope", 1, 2}, {"address-unreachable", 1, 3},
	{"port-unreachable", 1, 4}, {"failed-policy", 1, 5},
	{"reject-route", 1, 6},
	{"packet-too-big", 2, -1},
	{"time-exceeded", 3, -1}, {"ttl-exceeded", 3, -1},
	{"ttl-zero-during-transit", 3, 0}, {"ttl-zero-during-reassembly", 3, 1},
	{"parameter-problem", 4, -1}, {"bad-header", 4, 0},
	{"unknown-header-type", 4, 1}, {"unknown-option", 4, 2},
	{"echo-request", 128, -1}, {"ping", 128, -1},
	{"echo-reply", 129, -1}, {"pong", 129, -1},
	{"mld-listener-query", 130, -1}, {"mld-listener-report", 131, -1},
	{"mld-listener-done", 132, -1}, {"mld-listener-reduction", 132, -1},
	{"router-solicitation", 133, -1}, {"router-advertisement", 134, -1},
	{"neighbour-solicitation", 135, -1}, {"neighbor-solicitation", 135, -1},
	{"neighbour-advertisement", 136, -1}, {"neighbor-advertisement", 136, -1},
	{"redirect", 137, -1},
}

// parseICMPType reads a name, TYPE or TYPE/CODE. any reports "any
// type"; code < 0 means any code.
func parseICMPType(s string, names []icmpName) (typ uint8, code int, any bool, err error) {
	if n, ok := lookupICMP(s, names); ok {
		return n.typ, n.code, n.name == "any", nil
	}
	t, c, hasCode := strings.Cut(s, "/")
	tn, err := strconv.ParseUint(t, 10, 8)
	if err != nil {
		return 0, 0, false, fmt.Errorf("unknown icmp type %s", quote.Q(s))
	}
	if !hasCode {
		return uint8(tn), -1, false, nil
	}
	cn, err := strconv.ParseUint(c, 10, 8)
	if err != nil {
		return 0, 0, false, fmt.Errorf("bad icmp code %s", quote.Q(s))
	}
	return uint8(tn), int(cn), false, nil
}

// lookupICMP finds an exact name, or else a unique prefix, ignoring
// case, as iptables does.
func lookupICMP(s string, names []icmpName) (icmpName, bool) {
	var found []icmpName
	for _, n := range names {
		if strings.EqualFold(n.name, s) {
			return n, true
		}
		if s != "" && len(s) < len(n.name) && strings.EqualFold(n.name[:len(s)], s) {
			found = append(found, n)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return icmpName{}, false
}

// icmpMatches builds the match(es) of --icmp-type. A type with a code is
// two matches (type, code); negated, it must stay one match (not both
// holds), so it becomes a concatenation of the two fields.
func icmpMatches(neg bool, text, arg string, names []icmpName) ([]rules.Match, error) {
	typ, code, any, err := parseICMPType(arg, names)
	if err != nil {
		return nil, err
	}
	if any {
		return []rules.Match{rules.NewMatch(rules.FieldICMPType, neg, text, rules.Interval{Lo: rules.U8(0), Hi: rules.U8(255)})}, nil
	}
	tm := rules.NewMatch(rules.FieldICMPType, neg, text, rules.Point(rules.U8(typ)))
	if code < 0 {
		return []rules.Match{tm}, nil
	}
	cm := rules.NewMatch(rules.FieldICMPCode, false, text, rules.Point(rules.U8(uint8(code))))
	if !neg {
		return []rules.Match{tm, cm}, nil
	}
	m := rules.Match{
		Fields: []rules.Field{rules.FieldICMPType, rules.FieldICMPCode},
		Negate: true,
		Elems:  []rules.Elem{{tm.Elems[0][0], cm.Elems[0][0]}},
		Text:   text,
	}
	return []rules.Match{m}, nil
}
