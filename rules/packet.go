package rules

import "net/netip"

// Packet is one packet arriving from outside, as the evaluator follows it.
type Packet struct {
	Family   Family // FamilyIPv4 or FamilyIPv6
	Proto    uint8
	Src, Dst netip.Addr
	// Sport is the source port; 0 means one the sender picks: the default
	// probe's is ephemeral, and a rule that tells source ports apart
	// makes an outcome of its own for the others (see Choice).
	Sport, Dport       uint16
	InIface            string
	ICMPType, ICMPCode uint8
	// CtState is the packet's conntrack state; zero means CtNew.
	CtState CtState
	// TCPFlags are the TCP header flags; zero means a bare SYN for a new
	// TCP connection.
	TCPFlags uint8
	// HopLimit is the IPv4 TTL or IPv6 hop limit on arrival; zero means
	// 64, what Linux and most scanners send.
	HopLimit uint8
	// Length is the IP packet's length, header included; zero means one
	// the sender picks, the default probe's being what Linux's connect()
	// sends (see defaultLength).
	Length uint16
	Mark   uint32
	// fixed marks a packet the host itself sends (a reply): every field
	// is what it says, and a zero Sport or Length is zero.
	fixed bool
	// orig is, for a reply, its connection's original tuple; nil: the
	// packet's own.
	orig *tuple
}

// tuple is conntrack's original tuple of a connection.
type tuple struct {
	src, dst     netip.Addr
	sport, dport uint16
}

func (p *Packet) ctState() CtState {
	if p.CtState == 0 {
		return CtNew
	}
	return p.CtState
}

func (p *Packet) tcpFlags() uint8 {
	if p.TCPFlags == 0 && p.ctState() == CtNew {
		return TCPSyn
	}
	return p.TCPFlags
}

func (p *Packet) hopLimit() uint8 {
	if p.HopLimit == 0 {
		return 64
	}
	return p.HopLimit
}

func (p *Packet) hasPorts() bool {
	switch p.Proto {
	case ProtoTCP, ProtoUDP, ProtoSCTP, ProtoUDPLite:
		return true
	}
	return false
}

func (p *Packet) isICMP() bool {
	return p.Proto == ProtoICMP && p.Family == FamilyIPv4 || p.Proto == ProtoICMPv6 && p.Family == FamilyIPv6
}

func pktType(t AddrType) uint8 {
	switch t {
	case AddrBroadcast:
		return 1
	case AddrMulticast:
		return 2
	}
	return 0
}
