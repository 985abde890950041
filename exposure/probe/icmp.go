package probe

import "github.com/perimeter-dev/perimeter/internal/reject"

// icmpError is an ICMP or ICMPv6 error that quotes one of our probes.
type icmpError struct {
	v6        bool
	typ, code uint8
	// self: the prober's own kernel sent it (a failed neighbour
	// resolution, or the prober's own firewall).
	self bool
}

func (e icmpError) unreachable() bool {
	return (!e.v6 && e.typ == 3) || (e.v6 && e.typ == 1)
}

// name spells an unreachable code the way nft does.
func (e icmpError) name() string { return reject.ICMPName(e.v6, e.typ, e.code) }

func (e icmpError) hostUnreachable() bool {
	return e.unreachable() && ((!e.v6 && e.code == 1) || (e.v6 && e.code == 3))
}

// classify turns the error into a port state; a TCP port-unreachable is a
// REJECT (the kernel answers a SYN to a closed port with a RST), a UDP one
// is the kernel's own answer for a closed port or REJECT's default, which
// look alike.
func (e icmpError) classify(udp bool) (State, string, string) {
	name := e.name()
	switch {
	case e.self && e.hostUnreachable():
		return Unknown, ReasonNoNeighbor, "the target did not answer ARP or neighbour discovery"
	case e.self:
		return Unknown, name, "the prober's own kernel refused to send (its firewall?)"
	case !e.unreachable():
		return Unknown, name, "ICMP error that is no unreachable: the probe did not arrive"
	case udp && name == ReasonPortUnreachable:
		return Closed, name, ""
	}
	return Rejected, name, ""
}
