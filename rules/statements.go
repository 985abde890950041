package rules

import "net/netip"

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
