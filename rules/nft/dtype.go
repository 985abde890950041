package nft

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/reject"
	"github.com/perimeter-dev/perimeter/rules"
)

// dtype is an nftables data type: how a value is spelled in nft syntax and
// JSON. Values themselves are kept as big-endian bytes of the selector's
// size, whatever byte order the kernel's registers use.
type dtype uint8

const (
	dtInt dtype = iota
	dtHex
	dtIPv4
	dtIPv6
	dtPort
	dtProto
	dtNfproto
	dtEtherType
	dtIfname
	dtCtState
	dtCtStatus
	dtCtDir
	dtICMPType
	dtICMPCode
	dtICMPv6Type
	dtICMPv6Code
	dtTCPFlags
	dtPktType
	dtFibAddr
	dtBool
	dtEther
)

type sym struct {
	name string
	v    uint64
}

// symbols are the names nft gives values of a type (nft's own tables);
// protocols are rules', ICMP codes those of internal/reject.
var symbols = map[dtype][]sym{
	dtNfproto:   {{"ipv4", 2}, {"ipv6", 10}},
	dtEtherType: {{"ip", 0x0800}, {"arp", 0x0806}, {"ip6", 0x86dd}, {"8021q", 0x8100}, {"8021ad", 0x88a8}, {"vlan", 0x8100}},
	dtCtState:   {{"invalid", 1}, {"established", 2}, {"related", 4}, {"new", 8}, {"untracked", 64}},
	dtCtStatus: {{"expected", 1}, {"seen-reply", 2}, {"assured", 4}, {"confirmed", 8}, {"snat", 16},
		{"dnat", 32}, {"dying", 512}},
	dtCtDir: {{"original", 0}, {"reply", 1}},
	dtICMPType: {{"echo-reply", 0}, {"destination-unreachable", 3}, {"source-quench", 4}, {"redirect", 5},
		{"echo-request", 8}, {"router-advertisement", 9}, {"router-solicitation", 10}, {"time-exceeded", 11},
		{"parameter-problem", 12}, {"timestamp-request", 13}, {"timestamp-reply", 14}, {"info-request", 15},
		{"info-reply", 16}, {"address-mask-request", 17}, {"address-mask-reply", 18}},
	dtICMPv6Type: {{"destination-unreachable", 1}, {"packet-too-big", 2}, {"time-exceeded", 3},
		{"parameter-problem", 4}, {"echo-request", 128}, {"echo-reply", 129}, {"mld-listener-query", 130},
		{"mld-listener-report", 131}, {"mld-listener-done", 132}, {"mld-listener-reduction", 132},
		{"nd-router-solicit", 133}, {"nd-router-advert", 134}, {"nd-neighbor-solicit", 135},
		{"nd-neighbor-advert", 136}, {"nd-redirect", 137}, {"router-renumbering", 138},
		{"ind-neighbor-solicit", 141}, {"ind-neighbor-advert", 142}, {"mld2-listener-report", 143}},
	dtTCPFlags: {{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10}, {"urg", 0x20},
		{"ecn", 0x40}, {"cwr", 0x80}},
	dtPktType: {{"host", 0}, {"unicast", 0}, {"broadcast", 1}, {"multicast", 2}, {"other", 3}},
	dtFibAddr: {{"unspec", 0}, {"unicast", 1}, {"local", 2}, {"broadcast", 3}, {"anycast", 4},
		{"multicast", 5}, {"blackhole", 6}, {"unreachable", 7}, {"prohibit", 8}},
	dtBool: {{"missing", 0}, {"exists", 1}},
}

func init() {
	for dt, v6 := range map[dtype]bool{dtICMPCode: false, dtICMPv6Code: true} {
		for _, c := range reject.NftCodes(v6) {
			symbols[dt] = append(symbols[dt], sym{c.Name, uint64(c.Code)})
		}
	}
}

// isFlags reports whether values of t are bit sets, spelled "a,b".
func (t dtype) isFlags() bool {
	return t == dtCtState || t == dtCtStatus || t == dtTCPFlags
}

// lookupSym reads a symbol of type t. Protocols are read from rules'
// table, which has every name /etc/protocols may have given nft.
func lookupSym(t dtype, name string) (uint64, bool) {
	if t == dtProto {
		p, ok := rules.ParseProto(name)
		return uint64(p), ok
	}
	for _, s := range symbols[t] {
		if s.name == name {
			return s.v, true
		}
	}
	return 0, false
}

// symName names a value of type t; a protocol by perimeter's one
// spelling (rules.ProtoName), which nft reads too.
func symName(t dtype, v uint64) (string, bool) {
	if t == dtProto && v <= 0xff {
		return rules.ProtoName(uint8(v)), true
	}
	for _, s := range symbols[t] {
		if s.v == v {
			return s.name, true
		}
	}
	return "", false
}

var errValue = errors.New("bad value")

// parseValue reads a JSON literal of type t into an interval of size-byte
// keys: one value, or, for an interface name ending in "*", every name with
// that prefix.
func parseValue(t dtype, size int, v any) (ivl, error) {
	switch t {
	case dtIPv4, dtIPv6:
		s, ok := v.(string)
		if !ok {
			return ivl{}, errValue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Is4() != (t == dtIPv4) {
			return ivl{}, errValue
		}
		b := a.AsSlice()
		return ivl{b, b}, nil
	case dtIfname:
		s, ok := v.(string)
		if !ok || len(s) > ifnameSize {
			return ivl{}, errValue
		}
		if p, ok := strings.CutSuffix(s, "*"); ok && !strings.HasSuffix(p, `\`) {
			return ifacePrefix(p), nil
		}
		s = strings.ReplaceAll(s, `\*`, "*")
		k := ifaceKey(s)
		return ivl{k, k}, nil
	case dtEther:
		s, ok := v.(string)
		if !ok {
			return ivl{}, errValue
		}
		b, err := parseMAC(s)
		if err != nil {
			return ivl{}, err
		}
		return ivl{b, b}, nil
	}
	n, err := parseNumber(t, v)
	if err != nil {
		return ivl{}, err
	}
	b, err := uintBytes(n, size)
	if err != nil {
		return ivl{}, err
	}
	return ivl{b, b}, nil
}

// parseNumber reads a numeric JSON literal, a symbol, or for flag types a
// list of symbols OR-ed together.
func parseNumber(t dtype, v any) (*big.Int, error) {
	switch x := v.(type) {
	case json.Number:
		n, ok := new(big.Int).SetString(x.String(), 10)
		if !ok || n.Sign() < 0 {
			return nil, errValue
		}
		return n, nil
	case bool:
		if t == dtBool {
			if x {
				return big.NewInt(1), nil
			}
			return big.NewInt(0), nil
		}
	case string:
		if s, ok := lookupSym(t, x); ok {
			return new(big.Int).SetUint64(s), nil
		}
		if t.isFlags() && strings.Contains(x, ",") {
			return parseNumber(t, toAnySlice(strings.Split(x, ",")))
		}
		if n, err := strconv.ParseUint(x, 0, 64); err == nil {
			return new(big.Int).SetUint64(n), nil
		}
	case []any:
		if !t.isFlags() && t != dtInt && t != dtHex {
			return nil, errValue
		}
		acc := new(big.Int)
		for _, e := range x {
			n, err := parseNumber(t, e)
			if err != nil {
				return nil, err
			}
			acc.Or(acc, n)
		}
		return acc, nil
	}
	return nil, errValue
}

func toAnySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

func uintBytes(n *big.Int, size int) ([]byte, error) {
	if size <= 0 || n.BitLen() > size*8 {
		return nil, errValue
	}
	return n.FillBytes(make([]byte, size)), nil
}

func parseMAC(s string) ([]byte, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return nil, errValue
	}
	out := make([]byte, 6)
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return nil, errValue
		}
		out[i] = byte(n)
	}
	return out, nil
}

// formatValue spells one big-endian value of type t as nft does.
func formatValue(t dtype, b []byte) string {
	switch t {
	case dtIPv4, dtIPv6:
		if a, ok := netip.AddrFromSlice(b); ok {
			return a.String()
		}
	case dtIfname:
		return strconv.Quote(strings.TrimRight(string(b), "\x00"))
	case dtEther:
		parts := make([]string, len(b))
		for i, c := range b {
			parts[i] = fmt.Sprintf("%02x", c)
		}
		return strings.Join(parts, ":")
	case dtHex:
		return fmt.Sprintf("0x%0*x", len(b)*2, b)
	}
	if len(b) > 8 {
		return fmt.Sprintf("0x%x", b)
	}
	v := beUint(b)
	if t.isFlags() {
		return formatFlags(t, v)
	}
	if name, ok := symName(t, v); ok {
		return name
	}
	return strconv.FormatUint(v, 10)
}

func formatFlags(t dtype, v uint64) string {
	var names []string
	for _, s := range symbols[t] {
		if v&s.v != 0 && v&s.v == s.v {
			names = append(names, s.name)
			v &^= s.v
		}
	}
	if v != 0 || len(names) == 0 {
		names = append(names, fmt.Sprintf("0x%x", v))
	}
	return strings.Join(names, ",")
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// ifnameSize is the kernel's IFNAMSIZ.
const ifnameSize = 16

func ifaceKey(name string) []byte {
	k := make([]byte, ifnameSize)
	copy(k, name)
	return k
}

func ifacePrefix(p string) ivl {
	lo, hi := ifaceKey(p), ifaceKey(p)
	for i := len(p); i < ifnameSize; i++ {
		hi[i] = 0xff
	}
	return ivl{lo, hi}
}

// hostToBE turns a value the kernel holds in host byte order into
// big-endian bytes.
func hostToBE(b []byte) []byte {
	out := make([]byte, len(b))
	switch len(b) {
	case 2:
		binary.BigEndian.PutUint16(out, binary.NativeEndian.Uint16(b))
	case 4:
		binary.BigEndian.PutUint32(out, binary.NativeEndian.Uint32(b))
	case 8:
		binary.BigEndian.PutUint64(out, binary.NativeEndian.Uint64(b))
	default:
		copy(out, b)
	}
	return out
}
