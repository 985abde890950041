package probe

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// cookieKey keys the SYN cookies of one run: a reply is ours only if it
// acknowledges a sequence number nobody else can compute.
type cookieKey [2]uint64

func newCookieKey() cookieKey {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return cookieKey{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
}

// cookie is the initial sequence number of the probe from src:sport to
// dst:dport.
func (k cookieKey) cookie(src, dst netip.Addr, sport, dport uint16) uint32 {
	var b [36]byte
	s, d := src.As16(), dst.As16()
	copy(b[:16], s[:])
	copy(b[16:32], d[:])
	binary.BigEndian.PutUint16(b[32:], sport)
	binary.BigEndian.PutUint16(b[34:], dport)
	return uint32(sipHash24(k[0], k[1], b[:]))
}

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein), the keyed hash Linux
// uses for its own SYN cookies.
func sipHash24(k0, k1 uint64, msg []byte) uint64 {
	s := sipState{k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573}
	n := len(msg)
	for ; len(msg) >= 8; msg = msg[8:] {
		s.block(binary.LittleEndian.Uint64(msg))
	}
	var last [8]byte
	copy(last[:], msg)
	last[7] = byte(n)
	s.block(binary.LittleEndian.Uint64(last[:]))
	s[2] ^= 0xff
	for range 4 {
		s.round()
	}
	return s[0] ^ s[1] ^ s[2] ^ s[3]
}

type sipState [4]uint64

func (s *sipState) block(m uint64) {
	s[3] ^= m
	s.round()
	s.round()
	s[0] ^= m
}

func (s *sipState) round() {
	s[0] += s[1]
	s[1] = bits.RotateLeft64(s[1], 13) ^ s[0]
	s[0] = bits.RotateLeft64(s[0], 32)
	s[2] += s[3]
	s[3] = bits.RotateLeft64(s[3], 16) ^ s[2]
	s[0] += s[3]
	s[3] = bits.RotateLeft64(s[3], 21) ^ s[0]
	s[2] += s[1]
	s[1] = bits.RotateLeft64(s[1], 17) ^ s[2]
	s[2] = bits.RotateLeft64(s[2], 32)
}
