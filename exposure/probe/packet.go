package probe

import (
	"encoding/binary"
	"net/netip"
)

// TCP flags.
const (
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

const protoTCP = 6

// Our SYN looks like a common client's: Linux's window and an MSS option.
const (
	synWindow = 64240
	synMSS4   = 1460
	synMSS6   = 1440
)

type tcpHeader struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
}

// appendTCP appends a TCP header, with an MSS option when it is a SYN, and
// fills in its checksum.
func appendTCP(b []byte, h tcpHeader, src, dst netip.Addr) []byte {
	start := len(b)
	hlen, win := 20, uint16(synWindow)
	if h.flags&tcpSYN != 0 {
		hlen = 24
	}
	if h.flags&tcpRST != 0 {
		win = 0
	}
	b = binary.BigEndian.AppendUint16(b, h.sport)
	b = binary.BigEndian.AppendUint16(b, h.dport)
	b = binary.BigEndian.AppendUint32(b, h.seq)
	b = binary.BigEndian.AppendUint32(b, h.ack)
	b = append(b, byte(hlen/4)<<4, h.flags)
	b = binary.BigEndian.AppendUint16(b, win)
	b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
	if hlen == 24 {
		mss := uint16(synMSS4)
		if dst.Is6() {
			mss = synMSS6
		}
		b = append(b, 2, 4, byte(mss>>8), byte(mss))
	}
	seg := b[start:]
	binary.BigEndian.PutUint16(seg[16:], checksum(src, dst, protoTCP, seg))
	return b
}

// checksum is the Internet checksum of seg with the IPv4 or IPv6 pseudo
// header.
func checksum(src, dst netip.Addr, proto uint8, seg []byte) uint16 {
	var sum uint32
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		sum = sumWords(sumWords(sum, s[:]), d[:])
	} else {
		s, d := src.As16(), dst.As16()
		sum = sumWords(sumWords(sum, s[:]), d[:])
	}
	sum += uint32(proto) + uint32(len(seg))
	sum = sumWords(sum, seg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

func sumWords(sum uint32, b []byte) uint32 {
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(b[0])<<8 | uint32(b[1])
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

func parseTCP(b []byte) (tcpHeader, bool) {
	if len(b) < 20 {
		return tcpHeader{}, false
	}
	return tcpHeader{
		sport: binary.BigEndian.Uint16(b), dport: binary.BigEndian.Uint16(b[2:]),
		seq: binary.BigEndian.Uint32(b[4:]), ack: binary.BigEndian.Uint32(b[8:]),
		flags: b[13],
	}, true
}

// ipPacket is the part of an IP header the prober needs.
type ipPacket struct {
	src, dst netip.Addr
	ttl      uint8
	proto    uint8
	payload  []byte
}

// parseIPv4 reads an IPv4 header (raw IPv4 sockets deliver it).
func parseIPv4(b []byte) (ipPacket, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return ipPacket{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return ipPacket{}, false
	}
	return ipPacket{
		src: netip.AddrFrom4([4]byte(b[12:16])), dst: netip.AddrFrom4([4]byte(b[16:20])),
		ttl: b[8], proto: b[9], payload: b[ihl:],
	}, true
}

// parseIPv6 reads a fixed IPv6 header; extension headers are not followed
// (our probes carry none).
func parseIPv6(b []byte) (ipPacket, bool) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return ipPacket{}, false
	}
	return ipPacket{
		src: netip.AddrFrom16([16]byte(b[8:24])), dst: netip.AddrFrom16([16]byte(b[24:40])),
		ttl: b[7], proto: b[6], payload: b[40:],
	}, true
}

// parseICMPError splits an ICMP or ICMPv6 error message (starting at its
// type byte) into its type, code and the quoted packet.
func parseICMPError(v6 bool, b []byte) (icmpError, ipPacket, bool) {
	if len(b) < 8 {
		return icmpError{}, ipPacket{}, false
	}
	e := icmpError{v6: v6, typ: b[0], code: b[1]}
	if v6 {
		inner, ok := parseIPv6(b[8:])
		return e, inner, ok && e.typ < 128 // errors only, not echo or neighbour discovery
	}
	var inner ipPacket
	var ok bool
	switch e.typ {
	case 3, 4, 5, 11, 12: // unreachable, quench, redirect, time exceeded, parameter problem
		inner, ok = parseIPv4(b[8:])
	}
	return e, inner, ok
}
