package rules

import "net/netip"

// IPv6 reaches a host only after neighbour discovery: a host that drops
// the solicitation, or the advertisement it answers with, cannot be
// reached over IPv6 from that link at all, whatever its rules accept for
// the ports. Port predictions assume the neighbour is reachable; this
// fact stands beside them. IPv4's ARP is not IP and passes iptables.

// NeighborDiscovery is the fate of neighbour discovery towards the host's
// address, for a solicitation from a link-local and from a global source
// (a router on the link may use either).
type NeighborDiscovery struct {
	LinkLocalSource netip.Addr `json:"link_local_source"`
	FromLinkLocal   *Reply     `json:"from_link_local"`
	GlobalSource    netip.Addr `json:"global_source"`
	FromGlobal      *Reply     `json:"from_global"`
}

// linkLocalNeighbor is the link-local source of a solicitation.
var linkLocalNeighbor = netip.MustParseAddr("fe80::77")

// Blocked reports whether neighbour discovery surely fails from either
// source.
func (nd *NeighborDiscovery) Blocked() bool {
	return nd != nil && (stopped(nd.FromLinkLocal) || stopped(nd.FromGlobal))
}

func stopped(r *Reply) bool { return r.Certain && r.Verdict.Kind != Accept }

// NeighborDiscovery follows neighbour discovery for q's destination on
// q's interface; nil for IPv4. The global source is q's.
func (rs *Ruleset) NeighborDiscovery(env *Env, q Query) *NeighborDiscovery {
	if q.Family != FamilyIPv6 {
		return nil
	}
	hc := rs.hookChains(FamilyIPv6)
	return &NeighborDiscovery{
		LinkLocalSource: linkLocalNeighbor, FromLinkLocal: hc.neighbor(linkLocalNeighbor, q.Dst, q.InIface, env),
		GlobalSource: q.Src, FromGlobal: hc.neighbor(q.Src, q.Dst, q.InIface, env),
	}
}

// neighbor walks a solicitation from src for dst in, then the
// advertisement out. ND packets are untracked (conntrack skips them) and
// carry hop limit 255.
func (hc *hookChains) neighbor(src, dst netip.Addr, iface string, env *Env) *Reply {
	ns := Packet{Family: FamilyIPv6, Proto: ProtoICMPv6, Src: src, Dst: solicitedNode(dst), InIface: iface,
		ICMPType: 135, HopLimit: 255, CtState: CtUntracked, Length: 72, fixed: true}
	if in := replyOf(hc.walkAll(ns, env, (*walker).runIn)); !in.Passes() {
		return in
	}
	na := Packet{Family: FamilyIPv6, Proto: ProtoICMPv6, Src: dst, Dst: src, ICMPType: 136, HopLimit: 255,
		CtState: CtUntracked, Length: 72, fixed: true}
	return hc.reply(na, iface, env)
}

// solicitedNode is the solicited-node multicast address of a.
func solicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 11: 0x01, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}
