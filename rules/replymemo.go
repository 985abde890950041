package rules

import (
	"net/netip"
	"slices"
)

// Replies differ from class to class only where a rule on their way out
// tells the class's port apart: as their source port, or as conntrack's
// original destination port. replyMemo walks the replies of outcomes no
// such rule tells apart once.
type replyMemo struct {
	hc      *hookChains
	classes portClasses // of the ports as the replies' rules see them; nil: no memo
	memo    map[replyKey][2]*Reply
}

// replyKey is what the replies of an outcome depend on.
type replyKey struct {
	dst               netip.Addr
	port, origPort    int // reply classes of the outcome's port and the probe's
	sport             uint16
	verdict, outIface string
	forwarded         bool
}

// newReplyMemo remembers nothing when a rule reads those ports through a
// mask, which port classes do not follow.
func (hc *hookChains) newReplyMemo() *replyMemo {
	m := &replyMemo{hc: hc, memo: map[replyKey][2]*Reply{}}
	if !hc.rs.masksPorts(hc.family, FieldSport, FieldCtOrigDport) {
		m.classes = classesOf(hc.rs.cuts(hc.family, FieldSport, FieldCtOrigDport))
	}
	return m
}

// replies fills o's replies as hc.replies does, p being the probe.
func (m *replyMemo) replies(o *Outcome, p Packet, env *Env) {
	if m.classes == nil {
		m.hc.replies(o, p, env)
		return
	}
	k := replyKey{dst: o.Dst, port: m.classes.index(o.Dport), origPort: m.classes.index(p.Dport), sport: o.Sport,
		verdict: o.Verdict.String(), outIface: o.OutIface, forwarded: o.Forwarded}
	if r, ok := m.memo[k]; ok {
		o.Answer, o.Refusal = r[0], r[1]
		return
	}
	m.hc.replies(o, p, env)
	m.memo[k] = [2]*Reply{o.Answer, o.Refusal}
}

// masksPorts reports whether a rule of a table that sees f reads one of
// fields through a mask.
func (rs *Ruleset) masksPorts(f Family, fields ...Field) bool {
	masks := false
	rs.eachRule(f, func(r *Rule) {
		for _, m := range r.Matches {
			masks = masks || m.Mask != nil && slices.ContainsFunc(m.Fields, func(g Field) bool { return slices.Contains(fields, g) })
		}
	})
	return masks
}
