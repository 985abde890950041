package probe

import (
	"net/netip"
	"testing"
)

// TestSipHashVector checks the reference vector of the SipHash paper
// (key 00..0f, message 00..0e).
func TestSipHashVector(t *testing.T) {
	msg := make([]byte, 15)
	for i := range msg {
		msg[i] = byte(i)
	}
	if got := sipHash24(0x0706050403020100, 0x0f0e0d0c0b0a0908, msg); got != 0xa129ca6149be45e5 {
		t.Errorf("got %#x, want 0xa129ca6149be45e5", got)
	}
}

func TestCookieDependsOnKeyAndTuple(t *testing.T) {
	src, dst := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.1")
	k1, k2 := newCookieKey(), newCookieKey()
	c := k1.cookie(src, dst, 40000, 22)
	if c != k1.cookie(src, dst, 40000, 22) {
		t.Error("not deterministic")
	}
	for _, other := range []uint32{k2.cookie(src, dst, 40000, 22), k1.cookie(src, dst, 40000, 23), k1.cookie(dst, src, 40000, 22), k1.cookie(src, dst, 40001, 22)} {
		if other == c {
			t.Errorf("cookie %#x repeats", c)
		}
	}
}

func BenchmarkSYN(b *testing.B) {
	c := synCodec{key: newCookieKey(), src: netip.MustParseAddr("198.18.0.2"), dst: netip.MustParseAddr("198.18.0.1"), sport: 40000}
	buf := make([]byte, 0, 64)
	for i := 0; b.Loop(); i++ {
		buf = c.syn(buf[:0], uint16(i))
	}
}
