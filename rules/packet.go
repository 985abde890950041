package rules

import (
	"net/netip"
	"slices"
)

// Packet is one packet arriving from outside, as the evaluator follows it.
type Packet struct {
	Family   Family // FamilyIPv4 or FamilyIPv6
	Proto    uint8
	Src, Dst netip.Addr
	// Sport is the source port; 0 means any port, which makes every
	// source-port match undecided (an attacker chooses its source port).
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
	Mark     uint32
}

// Env is what the evaluator must know of the host beyond the rules.
type Env struct {
	// Local holds the host's addresses: a packet to one is delivered
	// locally (INPUT), any other is forwarded (FORWARD); addrtype LOCAL
	// matches them.
	Local []netip.Addr
	// Broadcast holds the host's broadcast addresses.
	Broadcast []netip.Addr
	// IfaceAddrs holds each interface's addresses; REDIRECT sends to the
	// first of the incoming interface's.
	IfaceAddrs map[string][]netip.Addr
	// ForwardV4 and ForwardV6 say whether the host forwards (sysctl
	// net.ipv4.ip_forward, net.ipv6.conf.all.forwarding).
	ForwardV4, ForwardV6 bool
	// Routes map destinations to outgoing interfaces, for the output
	// interface of forwarded packets; without a route, output-interface
	// matches are undecided.
	Routes []Route
}

// Route is one route: packets to Dst leave through Iface.
type Route struct {
	Dst   netip.Prefix
	Iface string
}

// routeIface returns the interface of the longest route to a, or "".
func (e *Env) routeIface(a netip.Addr) string {
	best, iface := -1, ""
	for _, r := range e.Routes {
		if r.Dst.Contains(a) && r.Dst.Bits() > best {
			best, iface = r.Dst.Bits(), r.Iface
		}
	}
	return iface
}

// IsLocal reports whether a belongs to the host.
func (e *Env) IsLocal(a netip.Addr) bool {
	return slices.Contains(e.Local, a.Unmap()) || a.IsLoopback()
}

func (e *Env) addrType(a netip.Addr) AddrType {
	switch {
	case e.IsLocal(a):
		return AddrLocal
	case a.IsMulticast():
		return AddrMulticast
	case a == netip.IPv4Unspecified() || a == netip.IPv6Unspecified():
		return AddrUnspec
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || slices.Contains(e.Broadcast, a):
		return AddrBroadcast
	}
	return AddrUnicast
}

func (e *Env) forwards(f Family) bool {
	if f == FamilyIPv6 {
		return e.ForwardV6
	}
	return e.ForwardV4
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
