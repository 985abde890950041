package ipt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// IPSets are the sets of an `ipset save` listing, by name.
type IPSets map[string]*IPSet

// IPSet is one set as `ipset save` lists it.
type IPSet struct {
	Name string
	Type string // "hash:net,port"
	// Family is the family of the set's addresses; "" for sets that hold
	// none (bitmap:port, list:set, hash:mac) and serve both families.
	Family rules.Family
	// Timeout says members expire: the listing is a snapshot.
	Timeout bool
	Members []Member
	dims    []dim
	netmask int // hash:ip, bitmap:ip "netmask N": members are networks
	Line    int // of the create line
}

// Member is one element of a set.
type Member struct {
	Text string // as listed: "198.18.0.0/24,tcp:80"
	// Parts holds one interval per field of the set's key: an address, a
	// protocol and a port for each port dimension of a hash set, a mark
	// or an interface. A list:set member is named by Set instead.
	Parts   []rules.Interval
	Set     string
	Nomatch bool
	// Opaque members are ones the model cannot hold (a MAC address, an
	// ICMP type in a port dimension, a physdev interface).
	Opaque bool
}

// dim is one dimension of a set type.
type dim uint8

const (
	dimAddr dim = iota
	dimPort
	dimMark
	dimIface
	dimMAC
	dimSet
)

var dimNames = map[string]dim{"ip": dimAddr, "net": dimAddr, "port": dimPort, "mark": dimMark, "iface": dimIface, "mac": dimMAC, "set": dimSet}

// ParseIPSets reads `ipset save` output (create, add, del, flush and
// destroy lines).
func ParseIPSets(r io.Reader) (IPSets, error) {
	sets := IPSets{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if err := sets.line(line, n); err != nil {
			return nil, &ParseError{File: "ipsets", Line: n, Text: line, Err: err}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ipsets: %w", scanError(err))
	}
	return sets, nil
}

func (sets IPSets) line(line string, n int) error {
	toks, err := tokenize(line)
	if err != nil || len(toks) == 0 || strings.HasPrefix(toks[0].s, "#") {
		return err
	}
	args := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.s != "-exist" && t.s != "-!" {
			args = append(args, t.s)
		}
	}
	if len(args) == 0 {
		return nil // "-exist" alone
	}
	switch args[0] {
	case "create", "-N", "n":
		return sets.create(args[1:], n)
	case "add", "-A", "a", "del", "-D", "d":
		return sets.add(args[0], args[1:])
	case "flush", "-F", "destroy", "-X":
		return sets.clear(args[0], args[1:])
	}
	return fmt.Errorf("unknown command %s", quote.Q(args[0]))
}

func (sets IPSets) create(args []string, line int) error {
	if len(args) < 2 {
		return errors.New("create needs a name and a type")
	}
	if _, dup := sets[args[0]]; dup {
		return fmt.Errorf("set %s exists", quote.Q(args[0]))
	}
	s := &IPSet{Name: args[0], Type: args[1], Family: rules.FamilyIPv4, Line: line}
	if err := s.layout(); err != nil {
		return err
	}
	if err := s.options(args[2:]); err != nil {
		return err
	}
	sets[s.Name] = s
	return nil
}

// layout reads the dimensions of the type ("hash:ip,port").
func (s *IPSet) layout() error {
	method, dims, ok := strings.Cut(s.Type, ":")
	if !ok || method != "hash" && method != "bitmap" && method != "list" {
		return fmt.Errorf("unknown set type %s", quote.Q(s.Type))
	}
	for _, d := range strings.Split(dims, ",") {
		k, ok := dimNames[d]
		if !ok || (k == dimSet) != (method == "list") {
			return fmt.Errorf("unknown set type %s", quote.Q(s.Type))
		}
		s.dims = append(s.dims, k)
	}
	if s.dims[0] != dimAddr {
		s.Family = "" // bitmap:port, hash:mac, list:set
	}
	return nil
}

func (s *IPSet) options(args []string) error {
	for i := 0; i < len(args); i++ {
		val := ""
		if i+1 < len(args) {
			val = args[i+1]
		}
		switch args[i] {
		case "family":
			switch val {
			case "inet":
				s.Family = rules.FamilyIPv4
			case "inet6":
				s.Family = rules.FamilyIPv6
			default:
				return fmt.Errorf("unknown family %s", quote.Q(val))
			}
		case "timeout":
			s.Timeout = true
		case "netmask":
			n, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("bad netmask %s", quote.Q(val))
			}
			s.netmask = n
		}
	}
	return nil
}

func (sets IPSets) clear(cmd string, args []string) error {
	if len(args) == 0 {
		clear(sets)
		return nil
	}
	s, ok := sets[args[0]]
	if !ok {
		return fmt.Errorf("no set %s", quote.Q(args[0]))
	}
	if cmd == "flush" || cmd == "-F" {
		s.Members = nil
	} else {
		delete(sets, args[0])
	}
	return nil
}

func (sets IPSets) add(cmd string, args []string) error {
	if len(args) < 2 {
		return errors.New("needs a set and an element")
	}
	s, ok := sets[args[0]]
	if !ok {
		return fmt.Errorf("no set %s", quote.Q(args[0]))
	}
	m, err := s.member(args[1], args[2:])
	if err != nil {
		return err
	}
	if cmd == "add" || cmd == "-A" || cmd == "a" {
		s.Members = append(s.Members, m)
		return nil
	}
	for i, old := range s.Members {
		if old.Text == m.Text {
			s.Members = append(s.Members[:i], s.Members[i+1:]...)
			break
		}
	}
	return nil
}

// memberOpts are the options an element may carry, by number of values.
var memberOpts = map[string]int{
	"timeout": 1, "packets": 1, "bytes": 1, "comment": 1, "skbmark": 1,
	"skbprio": 1, "skbqueue": 1, "nomatch": 0, "wildcard": 0,
}

func (s *IPSet) member(elem string, opts []string) (Member, error) {
	m := Member{Text: elem}
	wildcard := false
	for i := 0; i < len(opts); i++ {
		n, ok := memberOpts[opts[i]]
		if !ok || i+n >= len(opts) {
			return m, fmt.Errorf("unknown element option %s", quote.Q(opts[i]))
		}
		m.Nomatch = m.Nomatch || opts[i] == "nomatch"
		wildcard = wildcard || opts[i] == "wildcard"
		i += n
	}
	parts := strings.Split(elem, ",")
	if len(parts) != len(s.dims) {
		return m, fmt.Errorf("element %s does not fit %s", quote.Q(elem), s.Type)
	}
	for i, p := range parts {
		if err := s.part(&m, s.dims[i], p, wildcard); err != nil {
			return m, err
		}
	}
	return m, nil
}

// part parses one dimension of an element.
func (s *IPSet) part(m *Member, d dim, p string, wildcard bool) error {
	switch d {
	case dimAddr:
		iv, err := setAddr(p, s.Family, s.netmask)
		m.Parts = append(m.Parts, iv)
		return err
	case dimPort:
		return s.port(m, p)
	case dimMark:
		v, err := parseU32(p)
		m.Parts = append(m.Parts, rules.Point(rules.U32(v)))
		return err
	case dimIface:
		return iface(m, p, wildcard)
	case dimSet:
		m.Set = p
		return nil
	}
	m.Opaque = true // MAC addresses: not a field of the model
	return nil
}

// setAddr reads ADDR, ADDR/LEN or ADDR-ADDR.
func setAddr(p string, fam rules.Family, netmask int) (rules.Interval, error) {
	if lo, hi, ok := strings.Cut(p, "-"); ok {
		a, err := parseAddr(lo, fam)
		if err != nil {
			return rules.Interval{}, err
		}
		b, err := parseAddr(hi, fam)
		if err != nil || b.Less(a) {
			return rules.Interval{}, fmt.Errorf("bad range %s", quote.Q(p))
		}
		return rules.AddrRange(a, b), nil
	}
	a, l, hasLen := strings.Cut(p, "/")
	addr, err := parseAddr(a, fam)
	if err != nil {
		return rules.Interval{}, err
	}
	bits := addr.BitLen()
	if hasLen {
		if bits, err = strconv.Atoi(l); err != nil || bits < 0 || bits > addr.BitLen() {
			return rules.Interval{}, fmt.Errorf("bad prefix %s", quote.Q(p))
		}
	}
	if netmask > 0 && netmask < bits {
		bits = netmask
	}
	return rules.PrefixInterval(netip.PrefixFrom(addr, bits)), nil
}

// port reads [PROTO:]PORT[-PORT]. Hash sets key on the protocol too; only
// the protocols with ports are something the model can hold.
func (s *IPSet) port(m *Member, p string) error {
	proto, port := uint8(rules.ProtoTCP), p
	if pr, po, ok := strings.Cut(p, ":"); ok {
		n, err := parseProto(pr)
		if err != nil {
			return err
		}
		proto, port = n, po
	}
	if strings.HasPrefix(s.Type, "hash:") {
		m.Parts = append(m.Parts, rules.Point(rules.U8(proto)))
	}
	switch proto {
	case rules.ProtoTCP, rules.ProtoUDP, rules.ProtoSCTP, rules.ProtoUDPLite:
	default:
		m.Opaque = true // icmp:echo-request, gre:0, ...
		m.Parts = append(m.Parts, rules.PortRange(0, 0))
		return nil
	}
	lo, hi, isRange := strings.Cut(port, "-")
	a, err := parsePort(lo)
	if err != nil {
		return err
	}
	b := a
	if isRange {
		if b, err = parsePort(hi); err != nil || b < a {
			return fmt.Errorf("bad port range %s", quote.Q(port))
		}
	}
	m.Parts = append(m.Parts, rules.PortRange(a, b))
	return nil
}

func iface(m *Member, p string, wildcard bool) error {
	if strings.HasPrefix(p, "physdev:") {
		m.Opaque = true
		m.Parts = append(m.Parts, rules.Point(rules.IfaceKey("")))
		return nil
	}
	if p == "" || len(p) >= rules.IfNameSize {
		return fmt.Errorf("bad interface %s", quote.Q(p))
	}
	if wildcard {
		m.Parts = append(m.Parts, rules.IfacePrefix(p))
	} else {
		m.Parts = append(m.Parts, rules.Point(rules.IfaceKey(p)))
	}
	return nil
}
