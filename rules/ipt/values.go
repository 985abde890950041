package ipt

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// addrSpec is one entry of an -s/-d list: an address and its mask. A
// mask that is not a prefix (255.0.255.0, which iptables allows) has
// bits < 0.
type addrSpec struct {
	addr netip.Addr
	mask []byte
	bits int
}

// parseAddrSpec reads ADDR, ADDR/LEN or ADDR/MASK of family fam.
func parseAddrSpec(s string, fam rules.Family) (addrSpec, error) {
	a, m, hasMask := strings.Cut(s, "/")
	addr, err := parseAddr(a, fam)
	if err != nil {
		return addrSpec{}, err
	}
	size := addr.BitLen()
	if !hasMask {
		return addrSpec{addr, onesMask(size, size), size}, nil
	}
	if n, err := strconv.Atoi(m); err == nil {
		if n < 0 || n > size {
			return addrSpec{}, fmt.Errorf("bad prefix length %s", quote.Q(s))
		}
		return addrSpec{addr, onesMask(size, n), n}, nil
	}
	ma, err := parseAddr(m, fam)
	if err != nil {
		return addrSpec{}, fmt.Errorf("bad mask %s", quote.Q(s))
	}
	mask := ma.AsSlice()
	return addrSpec{addr, mask, prefixLen(mask)}, nil
}

// parseAddr reads a numeric address of family fam. IPv4 accepts the
// short dotted forms iptables does ("10" and "10.1" are 10.0.0.0 and
// 10.1.0.0). Names are refused: iptables resolves them once, when the
// rule is loaded, so the kernel holds whatever they resolved to then.
func parseAddr(s string, fam rules.Family) (netip.Addr, error) {
	if fam == rules.FamilyIPv6 {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Addr{}, badAddr(s)
		}
		return a, nil
	}
	var b [4]byte
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, badAddr(s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || !isNumber(p) {
			return netip.Addr{}, badAddr(s)
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), nil
}

func badAddr(s string) error {
	if !strings.Contains(s, ":") && strings.ContainsAny(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz") {
		return fmt.Errorf("host name %s: only numeric addresses are supported", quote.Q(s))
	}
	return fmt.Errorf("bad address %s", quote.Q(s))
}

func onesMask(size, n int) []byte {
	m := make([]byte, size/8)
	for i := range n {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// prefixLen is the length of a contiguous mask, or -1.
func prefixLen(mask []byte) int {
	n := 0
	for i, b := range mask {
		if b == 0xff {
			n += 8
			continue
		}
		ones := bits.LeadingZeros8(^b)
		if b<<ones != 0 {
			return -1
		}
		for _, rest := range mask[i+1:] {
			if rest != 0 {
				return -1
			}
		}
		return n + ones
	}
	return n
}

// addrMatch builds the match of an -s/-d list. iptables loads "-s a,b" as
// one rule per address; as one match it is their union, which is the
// same unless the entries overlap and the rule does not end the walk (a
// LOG or a jump would run once per overlapping entry).
func addrMatch(f rules.Field, neg bool, text, list string, fam rules.Family) (rules.Match, error) {
	var ivs []rules.Interval
	var odd []addrSpec
	for _, s := range strings.Split(list, ",") {
		spec, err := parseAddrSpec(s, fam)
		if err != nil {
			return rules.Match{}, err
		}
		if spec.bits < 0 {
			odd = append(odd, spec)
			continue
		}
		ivs = append(ivs, rules.PrefixInterval(netip.PrefixFrom(spec.addr, spec.bits)))
	}
	if len(odd) == 0 {
		return rules.NewMatch(f, neg, text, ivs...), nil
	}
	return maskedAddrMatch(f, neg, text, odd, len(ivs) > 0)
}

// maskedAddrMatch handles non-prefix masks: (addr & mask) == value is one
// masked point, and a list of them is one match only if they share the
// mask.
func maskedAddrMatch(f rules.Field, neg bool, text string, specs []addrSpec, mixed bool) (rules.Match, error) {
	mask := specs[0].mask
	var ivs []rules.Interval
	for _, s := range specs {
		if mixed || string(s.mask) != string(mask) {
			return rules.Opaque(text), nil
		}
		ivs = append(ivs, rules.Point(andBytes(s.addr.AsSlice(), mask)))
	}
	m := rules.NewMatch(f, neg, text, ivs...)
	m.Mask = mask
	return m, nil
}

func andBytes(a, m []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] & m[i]
	}
	return out
}

// ifaceMatch builds -i/-o: "eth+" is every name starting "eth", "+"
// alone every name (no match at all, unless negated: then none).
func ifaceMatch(f rules.Field, neg bool, text, name string) (rules.Match, bool, error) {
	if len(name) >= rules.IfNameSize {
		return rules.Match{}, false, fmt.Errorf("interface name %s longer than %d", quote.Q(name), rules.IfNameSize-1)
	}
	if name == "" {
		return rules.Match{}, false, fmt.Errorf("empty interface name")
	}
	if prefix, ok := strings.CutSuffix(name, "+"); ok {
		if prefix == "" && !neg {
			return rules.Match{}, false, nil
		}
		return rules.NewMatch(f, neg, text, rules.IfacePrefix(prefix)), true, nil
	}
	return rules.NewMatch(f, neg, text, rules.Point(rules.IfaceKey(name))), true, nil
}

// parseProto reads -p's protocol: a name of rules' table (every
// /etc/protocols spelling iptables-save may have printed) or a number.
func parseProto(s string) (uint8, error) {
	if p, ok := rules.ParseProto(s); ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown protocol %s", quote.Q(s))
}

// services are the /etc/services names hand-written rules use most.
// iptables-save always prints numbers.
var services = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25,
	"domain": 53, "bootps": 67, "bootpc": 68, "tftp": 69, "http": 80,
	"www": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "auth": 113,
	"ntp": 123, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139,
	"imap": 143, "imap2": 143, "snmp": 161, "snmp-trap": 162, "ldap": 389,
	"https": 443, "microsoft-ds": 445, "isakmp": 500, "syslog": 514,
	"submission": 587, "ldaps": 636, "rsync": 873, "imaps": 993,
	"pop3s": 995, "openvpn": 1194, "ms-sql-s": 1433, "mysql": 3306,
	"ipsec-nat-t": 4500, "postgresql": 5432, "http-alt": 8080,
}

func parsePort(s string) (uint16, error) {
	if p, ok := services[strings.ToLower(s)]; ok {
		return p, nil
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || !isNumber(s) {
		return 0, fmt.Errorf("bad port %s (want a number from 0 to 65535 or a service name)", quote.Q(s))
	}
	return uint16(n), nil
}

// parsePortRange reads P, P:Q, :Q (0:Q) or P: (P:65535).
func parsePortRange(s string) (rules.Interval, error) {
	a, b, isRange := strings.Cut(s, ":")
	if !isRange {
		p, err := parsePort(s)
		return rules.PortRange(p, p), err
	}
	lo, hi := uint16(0), uint16(65535)
	var err error
	if a != "" {
		if lo, err = parsePort(a); err != nil {
			return rules.Interval{}, err
		}
	}
	if b != "" {
		if hi, err = parsePort(b); err != nil {
			return rules.Interval{}, err
		}
	}
	if lo > hi {
		return rules.Interval{}, fmt.Errorf("bad port range %s: min > max", quote.Q(s))
	}
	return rules.PortRange(lo, hi), nil
}

// parsePortList reads a multiport list: comma-separated ports and ranges.
func parsePortList(s string) ([]rules.Interval, error) {
	var ivs []rules.Interval
	for _, p := range strings.Split(s, ",") {
		iv, err := parsePortRange(p)
		if err != nil {
			return nil, err
		}
		ivs = append(ivs, iv)
	}
	return ivs, nil
}

// parseMark reads VALUE[/MASK]; the mask is all ones when absent.
func parseMark(s string) (value, mask uint32, hasMask bool, err error) {
	v, m, hasMask := strings.Cut(s, "/")
	value, err = parseU32(v)
	if err != nil {
		return 0, 0, false, err
	}
	mask = 0xffffffff
	if hasMask {
		mask, err = parseU32(m)
	}
	return value, mask, hasMask, err
}

func parseU32(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("bad value %s", quote.Q(s))
	}
	return uint32(n), nil
}
