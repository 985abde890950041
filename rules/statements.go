package rules

import (
	"fmt"
	"net/netip"
)

// runStatements applies a matched rule's statements: logs are recorded,
// marks change what later rules see.
func (w *walker) runStatements(r *Rule) {
	limit := w.pendingLimit
	w.pendingLimit = ""
	for _, s := range r.Statements {
		if s.Kind != StmtLog && s.Kind != StmtCounter {
			defer w.changed()
		}
		switch s.Kind {
		case StmtLog:
			w.log(r, s, limit)
		case StmtSetMark:
			w.pkt.Mark = w.pkt.Mark&^s.Mask ^ s.Value
		case StmtSetCtMark:
			w.ctmark = w.ctmark&^s.Mask ^ s.Value
		case StmtRestoreMark:
			w.pkt.Mark = w.ctmark & s.Mask
		case StmtSaveMark:
			w.ctmark = w.pkt.Mark & s.Mask
		case StmtNotrack:
			w.pkt.CtState = CtUntracked
		case StmtRecentSet:
			if w.recent == nil {
				w.recent = map[string]int{}
			}
			w.recent[s.Set]++
			w.step(r.Origin, "recent set "+s.Set)
		}
	}
}

func (w *walker) log(r *Rule, s Statement, limit string) {
	if s.Log == nil {
		return
	}
	l := *s.Log
	if limit != "" {
		l.Limit = limit
	}
	w.out.Logs = append(w.out.Logs, LogEvent{Log: l, Origin: r.Origin})
	w.step(r.Origin, "log")
}

// applyNAT rewrites the destination as DNAT, REDIRECT or TPROXY do. A
// range maps to its first address and port: which one the kernel picks
// depends on a hash, and the rules of a range normally treat it alike.
func (w *walker) applyNAT(v Verdict) {
	before := netip.AddrPortFrom(w.pkt.Dst, w.pkt.Dport)
	if v.Kind != DNAT {
		w.redirected = true
		if addr, ok := w.ifaceAddr(); ok && v.Kind == Redirect {
			w.pkt.Dst = addr
		}
	}
	if n := v.NAT; n != nil {
		if n.Addr.IsValid() {
			w.pkt.Dst = n.Addr
		}
		if n.Port != 0 {
			w.pkt.Dport = n.Port
			w.ports.rewritten = true
		}
	}
	w.natDone = true
	w.changed()
	if netip.AddrPortFrom(w.pkt.Dst, w.pkt.Dport) != before {
		w.ctExtra |= CtDNAT
		w.out.NATed = true
	}
}

// ifaceAddr is the incoming interface's first address of the packet's
// family, where REDIRECT sends it.
func (w *walker) ifaceAddr() (netip.Addr, bool) {
	for _, a := range w.env.IfaceAddrs[w.pkt.InIface] {
		if a.Is4() == (w.pkt.Family == FamilyIPv4) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// recentDecision is the fork of a recent-list check: the default probe is
// first contact (only a --set on its own way has put the source on a
// list); earlier probes from the same source are the sender's choice.
func (w *walker) recentDecision(m *Match) decision {
	r := m.Recent
	need := max(1, r.HitCount) - w.recent[r.Name]
	dflt := need <= 0 != m.Negate
	d := choiceDecision(m.Text, dflt, recentCondition(r, need))
	d.order = &Order{List: r.Name, Earlier: max(need, 0)}
	return d
}

// recentCondition says what the sender does to turn a recent check: send
// enough earlier probes, or, when first contact already fills the list,
// wait until they expire.
func recentCondition(r *Recent, need int) string {
	if need <= 0 {
		return fmt.Sprintf("after the source's entries on recent list %q expire", r.Name)
	}
	s := fmt.Sprintf("after %d earlier probes from the same source that put it on recent list %q", need, r.Name)
	if need == 1 {
		s = fmt.Sprintf("after an earlier probe from the same source that put it on recent list %q", r.Name)
	}
	if r.Seconds > 0 {
		s += fmt.Sprintf(", within %d s", r.Seconds)
	}
	return s
}

// recentSets are the recent lists a rule of a table that sees f fills.
func (rs *Ruleset) recentSets(f Family) map[string]bool {
	out := map[string]bool{}
	for _, t := range rs.Tables {
		if !t.Family.Sees(f) {
			continue
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, s := range r.Statements {
					if s.Kind == StmtRecentSet {
						out[s.Set] = true
					}
				}
			}
		}
	}
	return out
}
