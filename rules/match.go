package rules

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
)

// Interval is a closed range [Lo, Hi] of big-endian keys of one field.
type Interval struct{ Lo, Hi []byte }

// Contains reports whether key lies in the interval. Keys of another length
// (an IPv4 prefix against an IPv6 address) never do.
func (iv Interval) Contains(key []byte) bool {
	if len(key) != len(iv.Lo) {
		return false
	}
	return bytes.Compare(iv.Lo, key) <= 0 && bytes.Compare(key, iv.Hi) <= 0
}

// Elem is one element of a match's value: one interval per field of the
// match (one field, or several for a concatenation).
type Elem []Interval

// Match is one condition of a rule: the packet's key for Fields (masked by
// Mask when set) lies in one of Elems, or, when Negate, in none of them.
type Match struct {
	Fields []Field
	Negate bool
	Mask   []byte // applied to a one-field key before the lookup
	Elems  []Elem
	// Text is the match as its source wrote it ("! --dport 22",
	// "tcp dport { 22, 80 }"): shown to users, and the identity of an
	// undecided match.
	Text string
	// Recent, when set, makes this a check of a recent list (iptables'
	// -m recent --rcheck/--update/--remove); Fields and Elems are unused.
	Recent *Recent
	// Choice, when set, makes this a match the sender decides (a rate, a
	// connection count, IPsec): the default probe takes Choice.Default
	// and the other side is an outcome of its own.
	Choice *Choice
}

// Recent is a check of a list of recently seen addresses. The default
// probe is first contact: a source the host has not seen before is on no
// list, except where a --set earlier on the same packet's way put it.
// Earlier probes are the sender's choice (the order of its packets).
type Recent struct {
	Name     string
	HitCount int // --hitcount; 0 means any entry
	Seconds  int // --seconds; 0 means any time
}

// NewMatch builds a one-field match whose value is the union of ivs; the
// intervals are sorted and merged so lookups can bisect.
func NewMatch(f Field, negate bool, text string, ivs ...Interval) Match {
	m := Match{Fields: []Field{f}, Negate: negate, Text: text}
	for _, iv := range mergeIntervals(ivs) {
		m.Elems = append(m.Elems, Elem{iv})
	}
	return m
}

// Opaque is a match the evaluator cannot decide, kept with its raw text.
func Opaque(text string) Match {
	return Match{Fields: []Field{FieldOpaque}, Text: text}
}

// Limit is a rate-limit match ("limit: avg 3/min burst 10") that holds
// while packets come no faster than r, or, over, only while they come
// faster: the sender's choice, one packet at a time by default. A zero r
// is a rate perimeter cannot read (a named limit, bytes).
func Limit(text string, r Rate, over bool) Match {
	c := &Choice{Default: !over, If: "faster than the limit " + text}
	if r.PerSecond > 0 {
		c.If, c.Rate = "faster than "+r.String(), &r
	}
	return Match{Fields: []Field{FieldLimit}, Text: text, Choice: c}
}

// Chosen is a match the sender decides that the evaluator follows no
// further (a connection count, IPsec): dflt is its truth for the default
// probe, ifOther the sender's condition for the other side.
func Chosen(text string, dflt bool, ifOther string) Match {
	return Match{Fields: []Field{FieldOpaque}, Text: text, Choice: &Choice{Default: dflt, If: ifOther}}
}

// IsOpaque reports whether the evaluator can never decide m.
func (m Match) IsOpaque() bool {
	return len(m.Fields) == 1 && (m.Fields[0] == FieldOpaque || m.Fields[0] == FieldLimit)
}

// readsIPsec reports whether m tests IPsec: the default probe is plain,
// and a sender with a security association may use it.
func (m *Match) readsIPsec() bool { return len(m.Fields) == 1 && m.Fields[0] == FieldIPsec }

// IsLimit reports whether m is a rate limit.
func (m Match) IsLimit() bool {
	return len(m.Fields) == 1 && m.Fields[0] == FieldLimit
}

func mergeIntervals(ivs []Interval) []Interval {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b Interval) int { return cmpKey(a.Lo, b.Lo) })
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && len(out[n-1].Hi) == len(iv.Lo) && adjacentOrOverlap(out[n-1].Hi, iv.Lo) {
			if bytes.Compare(iv.Hi, out[n-1].Hi) > 0 {
				out[n-1].Hi = iv.Hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// adjacentOrOverlap reports whether lo <= hi+1.
func adjacentOrOverlap(hi, lo []byte) bool {
	if bytes.Compare(lo, hi) <= 0 {
		return true
	}
	next := slices.Clone(hi)
	for i := len(next) - 1; i >= 0; i-- {
		next[i]++
		if next[i] != 0 {
			return bytes.Equal(next, lo)
		}
	}
	return false // hi was all ones
}

// contains reports whether the one-field key lies in the match's value.
func (m *Match) contains(keys [][]byte) bool {
	if len(keys) == 1 && len(m.Fields) == 1 {
		return m.containsOne(keys[0])
	}
	for _, e := range m.Elems {
		if elemContains(e, keys) {
			return true
		}
	}
	return false
}

func (m *Match) containsOne(key []byte) bool {
	if m.Mask != nil {
		key = maskKey(key, m.Mask)
	}
	// Elems of a one-field match are sorted and disjoint: bisect.
	i, _ := slices.BinarySearchFunc(m.Elems, key, func(e Elem, k []byte) int {
		return cmpKey(e[0].Hi, k)
	})
	return i < len(m.Elems) && m.Elems[i][0].Contains(key)
}

// cmpKey orders keys by length, then bytes, so that the IPv4 and IPv6
// intervals of one inet set sort apart.
func cmpKey(a, b []byte) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return bytes.Compare(a, b)
}

func elemContains(e Elem, keys [][]byte) bool {
	if len(e) != len(keys) {
		return false
	}
	for i, iv := range e {
		if !iv.Contains(keys[i]) {
			return false
		}
	}
	return true
}

func maskKey(key, mask []byte) []byte {
	if len(mask) != len(key) {
		return key
	}
	out := make([]byte, len(key))
	for i := range key {
		out[i] = key[i] & mask[i]
	}
	return out
}

// Key constructors, for readers building matches.

// U8 is a one-byte key.
func U8(v uint8) []byte { return []byte{v} }

// U16 is a two-byte key (ports).
func U16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// U32 is a four-byte key (marks).
func U32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// AddrKey is the key of an address: 4 bytes for IPv4, 16 for IPv6.
func AddrKey(a netip.Addr) []byte { return a.AsSlice() }

// IfaceKey is the key of an interface name, zero padded to IFNAMSIZ.
func IfaceKey(name string) []byte {
	k := make([]byte, IfNameSize)
	copy(k, name)
	return k
}

// Point is the interval holding only key.
func Point(key []byte) Interval { return Interval{key, key} }

// PortRange is the interval of ports lo..hi.
func PortRange(lo, hi uint16) Interval { return Interval{U16(lo), U16(hi)} }

// PrefixInterval is the interval of addresses in p.
func PrefixInterval(p netip.Prefix) Interval {
	p = p.Masked()
	lo := p.Addr().AsSlice()
	hi := slices.Clone(lo)
	bits := p.Bits()
	for i := range hi {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				hi[i] |= 0x80 >> b
			}
		}
	}
	return Interval{lo, hi}
}

// AddrRange is the interval of addresses lo..hi.
func AddrRange(lo, hi netip.Addr) Interval { return Interval{lo.AsSlice(), hi.AsSlice()} }

// IfacePrefix is the interval of interface names starting with prefix, as
// iptables' "eth+" and nftables' "eth*" match them.
func IfacePrefix(prefix string) Interval {
	lo := IfaceKey(prefix)
	hi := IfaceKey(prefix)
	for i := len(prefix); i < IfNameSize; i++ {
		hi[i] = 0xff
	}
	return Interval{lo, hi}
}

// AnyBit is the match "key & mask != 0" over a one-byte field, as
// conntrack state lists are written.
func AnyBit(f Field, negate bool, text string, mask uint8) Match {
	m := NewMatch(f, negate, text, Interval{U8(1), U8(0xff)})
	m.Mask = U8(mask)
	return m
}
