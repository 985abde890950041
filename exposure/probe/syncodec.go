package probe

import (
	"encoding/binary"
	"net/netip"
)

// synCodec builds the SYNs and RSTs of one syn-mode run and recognises the
// replies to them: a SYN/ACK must acknowledge cookie+1, a RST carry cookie
// or cookie+1, an ICMP error quote our header with the cookie.
type synCodec struct {
	key      cookieKey
	src, dst netip.Addr
	sport    uint16
}

func (c *synCodec) cookie(dport uint16) uint32 {
	return c.key.cookie(c.src, c.dst, c.sport, dport)
}

func (c *synCodec) syn(b []byte, dport uint16) []byte {
	h := tcpHeader{sport: c.sport, dport: dport, seq: c.cookie(dport), flags: tcpSYN}
	return appendTCP(b, h, c.src, c.dst)
}

// rst resets the half-open connection a SYN/ACK announced.
func (c *synCodec) rst(b []byte, dport uint16) []byte {
	h := tcpHeader{sport: c.sport, dport: dport, seq: c.cookie(dport) + 1, flags: tcpRST}
	return appendTCP(b, h, c.src, c.dst)
}

// reply is a validated answer to one of our probes.
type reply struct {
	port   uint16
	state  State
	reason string
	from   netip.Addr
	ttl    uint8
	icmp   bool
	detail string
}

// tcpReply validates a TCP segment the target sent to us.
func (c *synCodec) tcpReply(seg []byte) (reply, bool) {
	h, ok := parseTCP(seg)
	if !ok || h.dport != c.sport {
		return reply{}, false
	}
	ck := c.cookie(h.sport)
	r := reply{port: h.sport, from: c.dst}
	switch {
	case h.flags&tcpRST != 0 && c.resets(h, ck):
		r.state, r.reason = Closed, ReasonReset
	case h.flags&(tcpSYN|tcpACK) == tcpSYN|tcpACK && h.ack == ck+1:
		r.state, r.reason = Open, ReasonSynAck
	default:
		return reply{}, false
	}
	return r, true
}

func (c *synCodec) resets(h tcpHeader, ck uint32) bool {
	if h.flags&tcpACK != 0 {
		return h.ack == ck+1 || h.ack == ck
	}
	return h.seq == ck+1 || h.seq == ck
}

// icmpReply validates an ICMP error: it must quote our SYN, cookie included.
func (c *synCodec) icmpReply(e icmpError, inner ipPacket, from netip.Addr) (reply, bool) {
	q := inner.payload
	if inner.src != c.src || inner.dst != c.dst || inner.proto != protoTCP || len(q) < 8 {
		return reply{}, false
	}
	sport, dport := binary.BigEndian.Uint16(q), binary.BigEndian.Uint16(q[2:])
	if sport != c.sport || binary.BigEndian.Uint32(q[4:]) != c.cookie(dport) {
		return reply{}, false
	}
	r := reply{port: dport, from: from, icmp: true}
	r.state, r.reason, r.detail = e.classify(false)
	return r, true
}
