package rules

import (
	"slices"

	"github.com/perimeter-dev/perimeter/internal/reject"
)

// A probe from outside sees the host's reply only if the reply gets out:
// a SYN-ACK, RST, UDP datagram or ICMP error passes OUTPUT and POSTROUTING
// like any packet the host sends, and a ruleset that drops it there turns
// an open or closed port stealth.

// Reply is the fate of one reply of the host on its way out, for the
// default probe.
type Reply struct {
	Verdict   Verdict  `json:"verdict"` // Accept or Drop (or Reject, Queue)
	Decider   Origin   `json:"rule"`
	Certain   bool     `json:"certain"` // the rules decide it
	Undecided []string `json:"undecided,omitempty"`
	// Otherwise lists the sender's choices under which the reply meets
	// another fate ("faster than 2/s": a rate limit on RSTs).
	Otherwise []Assumption `json:"otherwise,omitempty"`
}

// Passes reports whether the reply surely leaves the host.
func (r *Reply) Passes() bool {
	return r == nil || r.Certain && r.Verdict.Kind == Accept
}

// settled reports whether the reply's fate is one, whatever the sender
// chooses and whatever the unknowns are.
func (r *Reply) settled() bool { return r == nil || r.Certain && len(r.Otherwise) == 0 }

func (r *Reply) sight() string {
	switch {
	case r == nil:
		return ""
	case !r.Certain:
		return "?"
	case r.Verdict.Kind == Accept:
		return "out"
	}
	return "stopped"
}

// replies fills the outcome's replies: for an accepted packet, the answer
// of a listening service and the refusal of a closed port; for a rejected
// one, the REJECT's response.
func (hc *hookChains) replies(o *Outcome, p Packet, env *Env) {
	back := Packet{Family: p.Family, Proto: p.Proto, Src: o.Dst, Dst: p.Src, Sport: o.Dport, Dport: o.Sport,
		CtState: CtEstablished, Length: 40, fixed: true, orig: &tuple{p.Src, p.Dst, o.Sport, p.Dport}}
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
func (hc *hookChains) forwardedReplies(o *Outcome, back Packet, oif string, env *Env) {
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
func (hc *hookChains) through(p Packet, oif string, env *Env) *Reply {
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
	v6 := back.Family == FamilyIPv6
	icmp.Sport, icmp.Dport, icmp.TCPFlags, icmp.CtState = 0, 0, 0, CtRelated
	icmp.Proto = ProtoICMP
	if v6 {
		icmp.Proto = ProtoICMPv6
	}
	icmp.ICMPType, icmp.ICMPCode, _ = reject.ICMP(with, v6)
	return icmp
}

// reply walks one reply through OUTPUT and POSTROUTING, leaving through
// the interface the packet came in on.
func (hc *hookChains) reply(p Packet, oif string, env *Env) *Reply {
	return replyOf(hc.walkAll(p, env, func(w *walker) {
		w.oif = oif
		w.changed()
		if w.runHook(HookOutput) {
			w.runHook(HookPostrouting)
		}
		w.finish()
	}))
}

// replyOf is the default probe's reply fate, with the choices that change
// it.
func replyOf(res Result) *Reply {
	res.Undecided = res.undecided()
	first := res.Outcomes[0]
	r := &Reply{Verdict: first.Verdict, Decider: first.Decider, Certain: res.Decided(), Undecided: res.Undecided}
	for _, o := range res.Outcomes[1:] {
		if o.Verdict.String() == first.Verdict.String() {
			continue
		}
		for _, a := range o.Assumed {
			if a.Departs() && !slices.ContainsFunc(r.Otherwise, func(b Assumption) bool { return b.Match == a.Match }) {
				r.Otherwise = append(r.Otherwise, a)
			}
		}
	}
	return r
}
