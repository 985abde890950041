package nft

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
)

// domain is what a field's values may be.
type domain struct {
	what    string // "a port"
	max     int64
	sym     dtype  // symbols allowed besides numbers; dtInt for none
	example string // one of them
	port    bool   // service names (/etc/services) allowed
	bits    int    // addresses: their length, for prefixes; 0 for numbers
}

// checkValues refuses a rule whose matches compare a field with a value
// outside the field's domain: a port over 65535, a negative, fractional
// or non-numeric port, an ICMP type over 255. nft itself refuses such a
// ruleset; translated, it would make an undecided match out of a typo.
func checkValues(expr []any) error {
	for _, e := range expr {
		k, v, ok := single(e)
		if !ok || k != "match" {
			continue
		}
		m, _ := v.(map[string]any)
		name, dom, ok := fieldDomain(m["left"])
		if !ok {
			continue
		}
		if err := checkRight(dom, m["right"]); err != nil {
			return fmt.Errorf("%s %v", name, err)
		}
	}
	return nil
}

// fieldDomain finds the domain of a payload field with a checked domain.
func fieldDomain(left any) (string, domain, bool) {
	k, x, ok := single(left)
	if !ok || k != "payload" {
		return "", domain{}, false
	}
	m, _ := x.(map[string]any)
	proto, _ := m["protocol"].(string)
	field, _ := m["field"].(string)
	name := proto + " " + field
	switch {
	case (field == "sport" || field == "dport") && strings.Contains("tcp udp udplite sctp dccp th", proto):
		return name, domain{what: "a port", max: 65535, sym: dtInt, port: true}, true
	case (field == "saddr" || field == "daddr") && (proto == "ip" || proto == "ip6"):
		return name, domain{what: "an address", bits: map[string]int{"ip": 32, "ip6": 128}[proto]}, true
	case proto == "icmp" && field == "type":
		return name, domain{what: "an ICMP type", max: 255, sym: dtICMPType, example: "echo-request"}, true
	case proto == "icmp" && field == "code":
		return name, domain{what: "an ICMP code", max: 255, sym: dtICMPCode, example: "port-unreachable"}, true
	case proto == "icmpv6" && field == "type":
		return name, domain{what: "an ICMPv6 type", max: 255, sym: dtICMPv6Type, example: "echo-request"}, true
	case proto == "icmpv6" && field == "code":
		return name, domain{what: "an ICMPv6 code", max: 255, sym: dtICMPv6Code, example: "port-unreachable"}, true
	}
	return "", domain{}, false
}

// checkRight checks every literal of a right-hand side: a value, or
// those of a list, an anonymous set, a range or a set element. Named sets
// ("@x") and expressions it does not know are left to the translator.
func checkRight(dom domain, v any) error {
	return eachLiteral(v, dom.checkLiteral)
}

// eachLiteral calls f on every literal of v, looking into lists,
// anonymous sets, ranges and set elements.
func eachLiteral(v any, f func(any) error) error {
	if list, ok := v.([]any); ok {
		for _, e := range list {
			if err := eachLiteral(e, f); err != nil {
				return err
			}
		}
		return nil
	}
	k, x, ok := single(v)
	switch {
	case ok && (k == "set" || k == "range"):
		return eachLiteral(x, f)
	case ok && k == "elem":
		m, _ := x.(map[string]any)
		return eachLiteral(m["val"], f)
	}
	return f(v)
}

// checkLiteral checks one literal: a number or name of the domain, or an
// address prefix's length.
func (d domain) checkLiteral(v any) error {
	if d.bits > 0 {
		return checkPrefix(d.bits, v)
	}
	switch x := v.(type) {
	case json.Number:
		return d.checkNumber(x.String())
	case float64:
		return d.checkNumber(fmt.Sprint(x))
	case string:
		return d.checkString(x)
	}
	return nil
}

func (d domain) checkNumber(s string) error {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 || n.Cmp(big.NewInt(d.max)) > 0 {
		return fmt.Errorf("%s: not %s (want a whole number from 0 to %d)", quote.Line(s), d.what, d.max)
	}
	return nil
}

func (d domain) checkString(s string) error {
	if strings.HasPrefix(s, "@") || strings.HasPrefix(s, "$") {
		return nil // a named set, a variable
	}
	if _, ok := lookupSym(d.sym, s); ok && d.sym != dtInt {
		return nil
	}
	if _, ok := new(big.Int).SetString(s, 10); ok {
		return d.checkNumber(s)
	}
	if d.port {
		if _, err := net.LookupPort("tcp", s); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s: not %s (want a whole number from 0 to %d%s)", quote.Q(s), d.what, d.max, d.symHint())
}

func (d domain) symHint() string {
	if d.port {
		return " or a service name"
	}
	if d.example != "" {
		return " or a name such as " + d.example
	}
	return ""
}

// checkPrefix checks the length of an address prefix.
func checkPrefix(bits int, v any) error {
	k, x, ok := single(v)
	if !ok || k != "prefix" {
		return nil
	}
	m, _ := x.(map[string]any)
	n, ok := m["len"].(json.Number)
	if !ok {
		return nil
	}
	if l, err := n.Int64(); err != nil || l < 0 || l > int64(bits) {
		addr, _ := m["addr"].(string)
		return fmt.Errorf("%s/%s: not a prefix (want a length from 0 to %d)", quote.Line(addr), quote.Line(n.String()), bits)
	}
	return nil
}
