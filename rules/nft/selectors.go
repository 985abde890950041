package nft

import (
	"fmt"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// pfield is a header field nft names: protocol, field, byte offset and
// length within its header.
type pfield struct {
	proto, name string
	off, len    int
	dt          dtype
	field       rules.Field
}

// noField marks a selector the evaluator cannot read.
const noField rules.Field = 0

// Header bases, as nft's JSON names them.
const (
	baseLL = "ll"
	baseNH = "nh"
	baseTH = "th"
)

var portFields = func(proto string) []pfield {
	return []pfield{
		{proto, "sport", 0, 2, dtPort, rules.FieldSport},
		{proto, "dport", 2, 2, dtPort, rules.FieldDport},
	}
}

// pfields lists the byte-aligned header fields, by header.
var pfields = map[string][]pfield{
	"ip": {
		{"ip", "length", 2, 2, dtInt, rules.FieldLength}, {"ip", "id", 4, 2, dtInt, noField}, {"ip", "frag-off", 6, 2, dtHex, noField},
		{"ip", "ttl", 8, 1, dtInt, rules.FieldHopLimit}, {"ip", "protocol", 9, 1, dtProto, rules.FieldL4Proto},
		{"ip", "checksum", 10, 2, dtInt, noField},
		{"ip", "saddr", 12, 4, dtIPv4, rules.FieldSaddr}, {"ip", "daddr", 16, 4, dtIPv4, rules.FieldDaddr},
	},
	"ip6": {
		{"ip6", "length", 4, 2, dtInt, noField}, {"ip6", "nexthdr", 6, 1, dtProto, rules.FieldL4Proto},
		{"ip6", "hoplimit", 7, 1, dtInt, rules.FieldHopLimit},
		{"ip6", "saddr", 8, 16, dtIPv6, rules.FieldSaddr}, {"ip6", "daddr", 24, 16, dtIPv6, rules.FieldDaddr},
	},
	"tcp": append(portFields("tcp"),
		pfield{"tcp", "sequence", 4, 4, dtInt, noField}, pfield{"tcp", "ackseq", 8, 4, dtInt, noField},
		pfield{"tcp", "flags", 13, 1, dtTCPFlags, rules.FieldTCPFlags}, pfield{"tcp", "window", 14, 2, dtInt, noField},
		pfield{"tcp", "checksum", 16, 2, dtInt, noField}, pfield{"tcp", "urgptr", 18, 2, dtInt, noField}),
	"udp": append(portFields("udp"),
		pfield{"udp", "length", 4, 2, dtInt, noField}, pfield{"udp", "checksum", 6, 2, dtInt, noField}),
	"udplite": append(portFields("udplite"),
		pfield{"udplite", "csumcov", 4, 2, dtInt, noField}, pfield{"udplite", "checksum", 6, 2, dtInt, noField}),
	"sctp": append(portFields("sctp"),
		pfield{"sctp", "vtag", 4, 4, dtInt, noField}, pfield{"sctp", "checksum", 8, 4, dtInt, noField}),
	"dccp": portFields("dccp"),
	"th":   portFields("th"),
	"icmp": {
		{"icmp", "type", 0, 1, dtICMPType, rules.FieldICMPType}, {"icmp", "code", 1, 1, dtICMPCode, rules.FieldICMPCode},
		{"icmp", "checksum", 2, 2, dtInt, noField}, {"icmp", "id", 4, 2, dtInt, noField}, {"icmp", "sequence", 6, 2, dtInt, noField},
		{"icmp", "gateway", 4, 4, dtInt, noField}, {"icmp", "mtu", 6, 2, dtInt, noField},
	},
	"icmpv6": {
		{"icmpv6", "type", 0, 1, dtICMPv6Type, rules.FieldICMPType}, {"icmpv6", "code", 1, 1, dtICMPv6Code, rules.FieldICMPCode},
		{"icmpv6", "checksum", 2, 2, dtInt, noField}, {"icmpv6", "id", 4, 2, dtInt, noField}, {"icmpv6", "sequence", 6, 2, dtInt, noField},
		{"icmpv6", "mtu", 4, 4, dtInt, noField}, {"icmpv6", "max-delay", 4, 2, dtInt, noField},
	},
	"ether": {
		{"ether", "daddr", 0, 6, dtEther, noField}, {"ether", "saddr", 6, 6, dtEther, noField},
		{"ether", "type", 12, 2, dtEtherType, rules.FieldNfproto},
	},
}

// protoBase is the header base of each protocol's fields.
var protoBase = map[string]string{
	"ip": baseNH, "ip6": baseNH, "ether": baseLL,
	"tcp": baseTH, "udp": baseTH, "udplite": baseTH, "sctp": baseTH, "dccp": baseTH, "th": baseTH,
	"icmp": baseTH, "icmpv6": baseTH,
}

// l4Names names the transport protocols by number, for fields behind an
// l4proto dependency.
var l4Names = map[uint64]string{1: "icmp", 6: "tcp", 17: "udp", 33: "dccp", 58: "icmpv6", 132: "sctp", 136: "udplite"}

// l4Numbers is the reverse, for implicit dependencies.
var l4Numbers = map[string]uint8{"icmp": 1, "tcp": 6, "udp": 17, "dccp": 33, "icmpv6": 58, "sctp": 132, "udplite": 136}

func (f pfield) sel() sel {
	dt := f.dt
	return sel{name: f.proto + " " + f.name, field: f.field, dt: dt, size: f.len, proto: f.proto}
}

func findPField(proto, name string) (pfield, bool) {
	for _, f := range pfields[proto] {
		if f.name == name {
			return f, true
		}
	}
	return pfield{}, false
}

// rawPayloadSel is a payload nft could not name: @base,bitoffset,bitlen.
func rawPayloadSel(base string, off, n int) sel {
	size := (n + 7) / 8
	return sel{name: fmt.Sprintf("@%s,%d,%d", base, off, n), dt: dtInt, size: max(size, 1)}
}

// metaKey describes one meta key: its nft and netlink names, size, type,
// byte order and model field.
type metaKey struct {
	name  string
	num   uint32
	size  int
	dt    dtype
	host  bool
	field rules.Field
}

// metaKeys are nft's meta keys (include/linux/netfilter/nf_tables.h).
var metaKeys = []metaKey{
	{"length", 0, 4, dtInt, true, rules.FieldLength},
	{"protocol", 1, 2, dtEtherType, false, rules.FieldNfproto},
	{"priority", 2, 4, dtHex, true, noField},
	{"mark", 3, 4, dtHex, true, rules.FieldMark},
	{"iif", 4, 4, dtInt, true, rules.FieldIIF},
	{"oif", 5, 4, dtInt, true, rules.FieldOIF},
	{"iifname", 6, ifnameSize, dtIfname, false, rules.FieldIIF},
	{"oifname", 7, ifnameSize, dtIfname, false, rules.FieldOIF},
	{"iiftype", 8, 2, dtInt, true, noField},
	{"oiftype", 9, 2, dtInt, true, noField},
	{"skuid", 10, 4, dtInt, true, noField},
	{"skgid", 11, 4, dtInt, true, noField},
	{"nftrace", 12, 1, dtInt, false, noField},
	{"rtclassid", 13, 4, dtInt, true, noField},
	{"secmark", 14, 4, dtInt, true, noField},
	{"nfproto", 15, 1, dtNfproto, false, rules.FieldNfproto},
	{"l4proto", 16, 1, dtProto, false, rules.FieldL4Proto},
	{"ibrname", 17, ifnameSize, dtIfname, false, noField},
	{"obrname", 18, ifnameSize, dtIfname, false, noField},
	{"pkttype", 19, 1, dtPktType, false, rules.FieldPktType},
	{"cpu", 20, 4, dtInt, true, noField},
	{"iifgroup", 21, 4, dtInt, true, noField},
	{"oifgroup", 22, 4, dtInt, true, noField},
	{"cgroup", 23, 4, dtInt, true, noField},
	{"random", 24, 4, dtInt, false, noField},
	{"ipsec", 25, 1, dtBool, false, rules.FieldIPsec},
	{"iifkind", 26, ifnameSize, dtIfname, false, noField},
	{"oifkind", 27, ifnameSize, dtIfname, false, noField},
	{"ibrpvid", 28, 2, dtInt, true, noField},
	{"ibrvproto", 29, 2, dtEtherType, false, noField},
	{"time", 30, 8, dtInt, true, noField},
	{"day", 31, 1, dtInt, false, noField},
	{"hour", 32, 4, dtInt, true, noField},
	{"sdif", 33, 4, dtInt, true, noField},
	{"sdifname", 34, ifnameSize, dtIfname, false, noField},
	{"broute", 35, 1, dtInt, false, noField},
}

// lookup returns the first key that match accepts.
func lookup[K any](keys []K, match func(K) bool) (K, bool) {
	if i := slices.IndexFunc(keys, match); i >= 0 {
		return keys[i], true
	}
	var none K
	return none, false
}

// unqualifiedMeta are the meta keys nft writes without "meta ".
var unqualifiedMeta = map[string]bool{"iif": true, "oif": true, "iifname": true, "oifname": true,
	"iifgroup": true, "oifgroup": true}

func metaByName(name string) (metaKey, bool) {
	return lookup(metaKeys, func(k metaKey) bool { return k.name == name })
}

func metaByNum(n uint32) (metaKey, bool) {
	return lookup(metaKeys, func(k metaKey) bool { return k.num == n })
}

func (k metaKey) sel() sel {
	name := "meta " + k.name
	if unqualifiedMeta[k.name] {
		name = k.name
	}
	s := sel{name: name, field: k.field, dt: k.dt, size: k.size, host: k.host}
	if k.name == "iif" || k.name == "oif" {
		// Interface indexes become names once resolved: the model
		// matches names.
		s.dt, s.size, s.host = dtIfname, ifnameSize, false
	}
	return s
}

// ctKey describes one conntrack key.
type ctKey struct {
	name  string
	num   uint32
	size  int
	dt    dtype
	host  bool
	field rules.Field
}

var ctKeys = []ctKey{
	{"state", 0, 4, dtCtState, true, rules.FieldCtState},
	{"direction", 1, 1, dtCtDir, false, noField},
	{"status", 2, 4, dtCtStatus, true, rules.FieldCtState},
	{"mark", 3, 4, dtHex, true, rules.FieldCtMark},
	{"secmark", 4, 4, dtInt, true, noField},
	{"expiration", 5, 4, dtInt, true, noField},
	{"helper", 6, 16, dtIfname, false, noField},
	{"l3proto", 7, 1, dtNfproto, false, noField},
	{"saddr", 8, 16, dtInt, false, noField},
	{"daddr", 9, 16, dtInt, false, noField},
	{"protocol", 10, 1, dtProto, false, rules.FieldL4Proto},
	{"proto-src", 11, 2, dtPort, false, noField},
	{"proto-dst", 12, 2, dtPort, false, noField},
	{"label", 13, 16, dtInt, false, noField},
	{"packets", 14, 8, dtInt, true, noField},
	{"bytes", 15, 8, dtInt, true, noField},
	{"avgpkt", 16, 8, dtInt, true, noField},
	{"zone", 17, 2, dtInt, true, noField},
	{"event", 18, 4, dtInt, true, noField},
	{"ip saddr", 19, 4, dtIPv4, false, noField},
	{"ip daddr", 20, 4, dtIPv4, false, noField},
	{"ip6 saddr", 21, 16, dtIPv6, false, noField},
	{"ip6 daddr", 22, 16, dtIPv6, false, noField},
	{"id", 23, 4, dtInt, false, noField},
}

func ctByName(name string) (ctKey, bool) {
	return lookup(ctKeys, func(k ctKey) bool { return k.name == name })
}

func ctByNum(n uint32) (ctKey, bool) {
	return lookup(ctKeys, func(k ctKey) bool { return k.num == n })
}

// ctSel is a conntrack selector; dir is "original", "reply" or "".
func ctSel(k ctKey, dir string) sel {
	name := "ct " + k.name
	if dir != "" {
		name = "ct " + dir + " " + k.name
	}
	s := sel{name: name, field: k.field, dt: k.dt, size: k.size, host: k.host}
	if dir != "" {
		s.field = ctOriginal[k.name]
		if dir != "original" {
			s.field = noField
		}
	}
	return s
}

// ctOriginal are the fields of conntrack's original tuple: for a new
// connection from outside, the packet's own before any NAT. (ct saddr and
// ct daddr are 16 bytes for either family, which the model does not
// compare with IPv4 keys.)
var ctOriginal = map[string]rules.Field{
	"ip saddr": rules.FieldCtOrigSaddr, "ip daddr": rules.FieldCtOrigDaddr,
	"ip6 saddr": rules.FieldCtOrigSaddr, "ip6 daddr": rules.FieldCtOrigDaddr,
	"proto-src": rules.FieldCtOrigSport, "proto-dst": rules.FieldCtOrigDport, "protocol": rules.FieldL4Proto,
}

// fibSel is a fib lookup: flags in nft's order, result type, oif or
// oifname. Only "fib daddr type" and "fib saddr type" are fields the
// evaluator reads.
func fibSel(flags []string, result string) sel {
	name := "fib " + strings.Join(flags, " . ") + " " + result
	s := sel{name: name, dt: dtInt, size: 4, host: true}
	switch result {
	case "type":
		s.dt = dtFibAddr
		if len(flags) == 1 && flags[0] == "daddr" {
			s.field = rules.FieldDType
		}
		if len(flags) == 1 && flags[0] == "saddr" {
			s.field = rules.FieldSType
		}
	case "oifname":
		s.dt, s.size, s.host = dtIfname, ifnameSize, false
	}
	return s
}

// fibPresence turns a fib selector into a test of presence ("exists",
// "missing"); "fib saddr [. mark] [. iif] oif" is the reverse-path
// check, which the evaluator decides from the routes.
func fibPresence(s sel, flags []string, result string) sel {
	s.dt, s.size = dtBool, 1
	if result == "oif" && slices.Contains(flags, "saddr") && !slices.Contains(flags, "daddr") {
		s.field = rules.FieldRPFilterLoose
		if slices.Contains(flags, "iif") {
			s.field = rules.FieldRPFilter
		}
	}
	return s
}

// fibPresenceNamed is fibPresence for a selector known by its name,
// "fib saddr . iif oif", as JSON gives it.
func fibPresenceNamed(s sel) sel {
	words := strings.Fields(strings.TrimPrefix(s.name, "fib "))
	if !strings.HasPrefix(s.name, "fib ") || len(words) == 0 {
		s.field = noField
		return s
	}
	flags := slices.DeleteFunc(slices.Clone(words[:len(words)-1]), func(w string) bool { return w == "." })
	return fibPresence(s, flags, words[len(words)-1])
}

// fibFlagOrder is the order nft prints fib flags in.
var fibFlagOrder = []string{"saddr", "daddr", "mark", "iif", "oif"}

// opaqueSel is a selector the evaluator cannot read, named as nft would.
func opaqueSel(name string, size int) sel {
	return sel{name: name, dt: dtInt, size: size}
}

// tcpOptions names TCP options and their fields by kind, offset and
// length, as nft does.
var tcpOptions = map[uint8]struct {
	name   string
	fields map[[2]uint32]string
}{
	0: {"eol", nil}, 1: {"nop", nil},
	2:  {"maxseg", map[[2]uint32]string{{2, 2}: "size"}},
	3:  {"window", map[[2]uint32]string{{2, 1}: "count"}},
	4:  {"sack-perm", nil},
	5:  {"sack", map[[2]uint32]string{{2, 4}: "left", {6, 4}: "right"}},
	8:  {"timestamp", map[[2]uint32]string{{2, 4}: "tsval", {6, 4}: "tsecr"}},
	30: {"mptcp", map[[2]uint32]string{{2, 1}: "subtype"}},
}

// ipv6Exthdrs names IPv6 extension headers by type.
var ipv6Exthdrs = map[uint8]string{0: "hbh", 43: "rt", 44: "frag", 60: "dst", 135: "mh"}

// exthdrName names an extension header field as nft does; present is a
// test of presence.
func exthdrName(tcp bool, typ uint8, off, n uint32, present bool) string {
	if tcp {
		o, ok := tcpOptions[typ]
		switch {
		case !ok:
			return fmt.Sprintf("tcp option @%d,%d,%d", typ, off*8, n*8)
		case present:
			return "tcp option " + o.name
		}
		if f, ok := o.fields[[2]uint32{off, n}]; ok {
			return "tcp option " + o.name + " " + f
		}
		return fmt.Sprintf("tcp option %s @%d,%d", o.name, off*8, n*8)
	}
	name, ok := ipv6Exthdrs[typ]
	if !ok {
		name = fmt.Sprint(typ)
	}
	if present {
		return "exthdr " + name
	}
	return fmt.Sprintf("exthdr %s @%d,%d", name, off*8, n*8)
}
