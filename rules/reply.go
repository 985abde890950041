package rules

import "net/netip"

// A probe from outside sees the host's reply only if the reply gets out:
// a SYN-ACK, RST, UDP datagram or ICMP error passes OUTPUT and POSTROUTING
// like any packet the host sends, and a ruleset that drops it there turns
// an open or closed port stealth.

// Reply is the fate of one reply of the host on its way out.
type Reply struct {
	Verdict   Verdict  `json:"verdict"` // Accept or Drop (or Reject, Queue)
	Decider   Origin   `json:"rule"`
	Certain   bool     `json:"certain"`
	Undecided []string `json:"undecided,omitempty"`
}

// Passes reports whether the reply surely leaves the host.
func (r *Reply) Passes() bool {
	return r == nil || r.Certain && r.Verdict.Kind == Accept
}

// replies fills the outcome's replies: for an accepted packet, the answer
// of a listening service and the refusal of a closed port; for a rejected
// one, the REJECT's response.
func (hc hookChains) replies(o *Outcome, p Packet, env *Env) {
	back := Packet{Family: p.Family, Proto: p.Proto, Src: o.Dst, Dst: p.Src, Sport: o.Dport, Dport: p.Sport,
		CtState: CtEstablished, Mark: 0}
	switch o.Verdict.Kind {
	case Accept:
		if o.Forwarded {
			hc.forwardedReplies(o, back, p.InIface, env)
			return
		}
		answer := back
		answer.TCPFlags = TCPSyn | TCPAck
		o.Answer = hc.reply(answer, p.InIface, env)
		o.Refusal = hc.reply(refusal(back, ""), p.InIface, env)
	case Reject:
		r := refusal(back, o.Verdict.RejectWith)
		r.CtState = CtRelated // REJECT attaches its response to the conntrack entry as related
		o.Refusal = hc.reply(r, p.InIface, env)
	}
}

// forwardedReplies fills the replies of a forwarded packet: they come from
// the host behind, in through the interface the packet left by, and are
// forwarded back out the way it came.
func (hc hookChains) forwardedReplies(o *Outcome, back Packet, oif string, env *Env) {
	back.InIface = o.OutIface
	if back.InIface == "" {
		back.InIface = unknownIface
	}
	answer := back
	answer.TCPFlags = TCPSyn | TCPAck
	o.Answer = hc.through(answer, oif, env)
	o.Refusal = hc.through(refusal(back, ""), oif, env)
}

// through walks a reply forwarded by the host: prerouting, forward and
// postrouting, leaving through oif.
func (hc hookChains) through(p Packet, oif string, env *Env) *Reply {
	return replyOf(hc.walkAll(p, env, func(w *walker) {
		if w.runHook(HookIngress) && w.runHook(HookPrerouting) {
			w.oif = oif
			w.changed()
			if w.runHook(HookForward) {
				w.runHook(HookPostrouting)
			}
		}
		w.finish()
	}))
}

// refusal is the host's "nobody here": with "" the stack's own (a TCP
// RST, or ICMP port unreachable for anything else), else the REJECT's.
func refusal(back Packet, with string) Packet {
	if with == RejectTCPReset || with == "" && back.Proto == ProtoTCP {
		back.TCPFlags = TCPRst | TCPAck
		return back
	}
	if with == "" {
		with = RejectPortUnreach
	}
	icmp := back
	icmp.Sport, icmp.Dport, icmp.TCPFlags, icmp.CtState = 0, 0, 0, CtRelated
	icmp.Proto, icmp.ICMPType, icmp.ICMPCode = ProtoICMP, 3, icmpCode4[with]
	if back.Family == FamilyIPv6 {
		icmp.Proto, icmp.ICMPType, icmp.ICMPCode = ProtoICMPv6, 1, icmpCode6[with]
	}
	return icmp
}

// ICMP destination-unreachable codes of the REJECT types.
var (
	icmpCode4 = map[string]uint8{RejectNetUnreach: 0, RejectHostUnreach: 1, RejectProtoUnreach: 2,
		RejectPortUnreach: 3, RejectNetProhib: 9, RejectHostProhib: 10, RejectAdminProhib: 13}
	icmpCode6 = map[string]uint8{RejectNoRoute6: 0, RejectAdminProhib6: 1, RejectAddrUnreach6: 3,
		RejectPortUnreach6: 4, RejectPortUnreach: 4, RejectPolicyFail6: 5, RejectRejectRoute6: 6,
		RejectAdminProhib: 1}
)

// reply walks one reply through OUTPUT and POSTROUTING, leaving through
// the interface the packet came in on.
func (hc hookChains) reply(p Packet, oif string, env *Env) *Reply {
	return replyOf(hc.walkAll(p, env, func(w *walker) {
		w.oif = oif
		w.changed()
		if w.runHook(HookOutput) {
			w.runHook(HookPostrouting)
		}
		w.finish()
	}))
}

func replyOf(res Result) *Reply {
	first := res.Outcomes[0]
	return &Reply{Verdict: first.Verdict, Decider: first.Decider, Certain: res.Certain(), Undecided: res.Undecided}
}

// neighbor is the fate of IPv6 neighbour discovery for the host's address:
// a host that drops the solicitation, or the advertisement it answers
// with, cannot be reached over IPv6 at all, whatever its rules accept. ND
// packets are untracked (conntrack skips them) and carry hop limit 255.
// IPv4's ARP is not IP and passes iptables; nil for IPv4.
func (hc hookChains) neighbor(p Packet, env *Env) *Reply {
	if p.Family != FamilyIPv6 || p.Proto == ProtoICMPv6 {
		return nil
	}
	ns := Packet{Family: FamilyIPv6, Proto: ProtoICMPv6, Src: p.Src, Dst: solicitedNode(p.Dst), InIface: p.InIface,
		ICMPType: 135, HopLimit: 255, CtState: CtUntracked}
	if in := replyOf(hc.walkAll(ns, env, (*walker).runIn)); !in.Passes() {
		return in
	}
	na := Packet{Family: FamilyIPv6, Proto: ProtoICMPv6, Src: p.Dst, Dst: p.Src, ICMPType: 136, HopLimit: 255, CtState: CtUntracked}
	return hc.reply(na, p.InIface, env)
}

// solicitedNode is the solicited-node multicast address of a.
func solicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 11: 0x01, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}
