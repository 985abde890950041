package probe

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

var (
	src4, dst4 = netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.1")
	src6, dst6 = netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::1")
)

func codec(v6 bool) *synCodec {
	if v6 {
		return &synCodec{key: cookieKey{1, 2}, src: src6, dst: dst6, sport: 40000}
	}
	return &synCodec{key: cookieKey{1, 2}, src: src4, dst: dst4, sport: 40000}
}

// TestSYNChecksum: a segment with its checksum in place sums to zero.
func TestSYNChecksum(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		c := codec(v6)
		seg := c.syn(nil, 443)
		if len(seg) != 24 || seg[13] != tcpSYN || seg[20] != 2 {
			t.Fatalf("v6=%v: bad SYN % x", v6, seg)
		}
		if sum := checksum(c.src, c.dst, protoTCP, seg); sum != 0 {
			t.Errorf("v6=%v: checksum over the segment is %#x, want 0", v6, sum)
		}
		h, _ := parseTCP(seg)
		if h.sport != 40000 || h.dport != 443 || h.seq != c.cookie(443) {
			t.Errorf("v6=%v: header %+v", v6, h)
		}
	}
}

// TestChecksumKnown checks the RFC 1071 example words.
func TestChecksumKnown(t *testing.T) {
	if got := sumWords(0, []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != 0x2ddf0 {
		t.Errorf("sum %#x, want 0x2ddf0", got)
	}
}

func segment(sport, dport uint16, seq, ack uint32, flags uint8) []byte {
	return appendTCP(nil, tcpHeader{sport: sport, dport: dport, seq: seq, ack: ack, flags: flags}, dst4, src4)
}

func TestTCPReplyValidation(t *testing.T) {
	c := codec(false)
	ck := c.cookie(22)
	cases := []struct {
		name string
		seg  []byte
		ok   bool
		st   State
	}{
		{"syn-ack", segment(22, 40000, 99, ck+1, tcpSYN|tcpACK), true, Open},
		{"syn-ack wrong ack", segment(22, 40000, 99, ck, tcpSYN|tcpACK), false, ""},
		{"syn-ack other port's cookie", segment(23, 40000, 99, ck+1, tcpSYN|tcpACK), false, ""},
		{"rst-ack", segment(22, 40000, 0, ck+1, tcpRST|tcpACK), true, Closed},
		{"rst with cookie", segment(22, 40000, ck, 0, tcpRST), true, Closed},
		{"rst forged", segment(22, 40000, 12345, 999, tcpRST|tcpACK), false, ""},
		{"to another port", segment(22, 40001, 0, ck+1, tcpRST|tcpACK), false, ""},
		{"plain ack", segment(22, 40000, 0, ck+1, tcpACK), false, ""},
		{"short", []byte{0, 22}, false, ""},
	}
	for _, tc := range cases {
		r, ok := c.tcpReply(tc.seg)
		if ok != tc.ok || (ok && (r.state != tc.st || r.port != 22)) {
			t.Errorf("%s: got %+v %v", tc.name, r, ok)
		}
	}
}

// icmp4 builds an IPv4 ICMP error from router quoting what.
func icmp4(typ, code uint8, router netip.Addr, what []byte) []byte {
	msg := append([]byte{typ, code, 0, 0, 0, 0, 0, 0}, what...)
	return ipv4(router, src4, 1, 64, msg)
}

func ipv4(src, dst netip.Addr, proto, ttl uint8, payload []byte) []byte {
	h := make([]byte, 20)
	h[0], h[8], h[9] = 0x45, ttl, proto
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return append(h, payload...)
}

func TestICMPReplyValidation(t *testing.T) {
	c := codec(false)
	ours := ipv4(src4, dst4, protoTCP, 64, c.syn(nil, 82))
	forged := ipv4(src4, dst4, protoTCP, 64, (&synCodec{key: cookieKey{3, 4}, src: src4, dst: dst4, sport: 40000}).syn(nil, 82))
	router := netip.MustParseAddr("198.18.7.7")
	for _, tc := range []struct {
		name   string
		pkt    []byte
		ok     bool
		st     State
		reason string
	}{
		{"port unreachable", icmp4(3, 3, dst4, ours), true, Rejected, "port-unreachable"},
		{"admin prohibited by a router", icmp4(3, 13, router, ours), true, Rejected, "admin-prohibited"},
		{"time exceeded", icmp4(11, 0, router, ours), true, Unknown, "icmp-11-0"},
		{"wrong cookie", icmp4(3, 3, dst4, forged), false, "", ""},
		{"echo reply", icmp4(0, 0, dst4, ours), false, "", ""},
		{"truncated quote", icmp4(3, 3, dst4, ours[:24]), false, "", ""},
	} {
		p, _ := parseIPv4(tc.pkt)
		e, inner, ok := parseICMPError(false, p.payload)
		var r reply
		if ok {
			r, ok = c.icmpReply(e, inner, p.src)
		}
		if ok != tc.ok || (ok && (r.state != tc.st || r.reason != tc.reason || r.port != 82 || r.from != p.src)) {
			t.Errorf("%s: got %+v %v", tc.name, r, ok)
		}
	}
}

func TestICMPClassify(t *testing.T) {
	for _, tc := range []struct {
		e      icmpError
		udp    bool
		st     State
		reason string
	}{
		{icmpError{typ: 3, code: 3}, false, Rejected, "port-unreachable"},
		{icmpError{typ: 3, code: 3}, true, Closed, "port-unreachable"},
		{icmpError{typ: 3, code: 10}, true, Rejected, "host-prohibited"},
		{icmpError{v6: true, typ: 1, code: 1}, false, Rejected, "admin-prohibited"},
		{icmpError{v6: true, typ: 1, code: 4}, true, Closed, "port-unreachable"},
		{icmpError{v6: true, typ: 1, code: 3, self: true}, false, Unknown, "no-neighbor"},
		{icmpError{typ: 3, code: 1, self: true}, true, Unknown, "no-neighbor"},
		{icmpError{typ: 3, code: 13, self: true}, false, Unknown, "admin-prohibited"},
		{icmpError{typ: 3, code: 7}, false, Rejected, "icmp-3-7"},
		{icmpError{v6: true, typ: 2, code: 0}, false, Unknown, "icmpv6-2-0"},
	} {
		st, reason, _ := tc.e.classify(tc.udp)
		if st != tc.st || reason != tc.reason {
			t.Errorf("%+v udp=%v: got %s %s, want %s %s", tc.e, tc.udp, st, reason, tc.st, tc.reason)
		}
	}
}
