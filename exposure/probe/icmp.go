package probe

import "fmt"

var (
	icmp4Codes = map[uint8]string{
		0: "net-unreachable", 1: "host-unreachable", 2: "prot-unreachable",
		3: "port-unreachable", 4: "frag-needed", 9: "net-prohibited",
		10: "host-prohibited", 13: "admin-prohibited",
	}
	icmp6Codes = map[uint8]string{
		0: "no-route", 1: "admin-prohibited", 2: "beyond-scope",
		3: "addr-unreachable", 4: "port-unreachable", 5: "policy-fail",
		6: "reject-route",
	}
)

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
func (e icmpError) name() string {
	switch {
	case e.unreachable() && !e.v6 && icmp4Codes[e.code] != "":
		return icmp4Codes[e.code]
	case e.unreachable() && e.v6 && icmp6Codes[e.code] != "":
		return icmp6Codes[e.code]
	case e.v6:
		return fmt.Sprintf("icmpv6-%d-%d", e.typ, e.code)
	}
	return fmt.Sprintf("icmp-%d-%d", e.typ, e.code)
}

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
		return Stealth, ReasonNoNeighbor, ""
	case e.self:
		return Unknown, name, "the prober's own kernel refused to send (its firewall?)"
	case !e.unreachable():
		return Unknown, name, "ICMP error that is no unreachable: the probe did not arrive"
	case udp && name == ReasonPortUnreachable:
		return Closed, name, ""
	}
	return Rejected, name, ""
}
