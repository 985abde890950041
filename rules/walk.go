package rules

import (
	"fmt"
	"slices"
	"strings"
)

// frame is a place in a chain: the chain and the index of the next rule.
type frame struct {
	chain *Chain
	next  int
}

// runBase runs one base chain to its verdict, Accept, Drop, Reject or
// Queue, with the rule or policy that gave it. A walker split off in the
// middle of the chain resumes where it was (see spawn).
func (w *walker) runBase(bc baseChain) (v Verdict, by Origin, policy bool) {
	if w.resumed {
		w.resumed = false
	} else {
		w.at, w.stack = frame{bc.chain, 0}, w.stack[:0] // stack: return addresses of jumps
	}
	for ; w.steps < w.hc.maxSteps && len(w.stack) < maxDepth; w.steps++ {
		if w.steps%checkSteps == 0 && w.hc.err() != nil {
			break // the caller gives the walk up
		}
		if w.at.next >= len(w.at.chain.Rules) {
			if len(w.stack) == 0 {
				v, by = w.policy(bc)
				return v, by, true
			}
			w.at, w.stack = w.stack[len(w.stack)-1], w.stack[:len(w.stack)-1]
			continue
		}
		r := w.at.chain.Rules[w.at.next]
		w.at.next++
		if !w.matches(r) {
			continue
		}
		w.runStatements(r)
		if v = w.verdictOf(r); v.Kind == Continue || v.Kind == UnknownTarget && !w.endsWalk(v) {
			continue
		}
		w.step(r.Origin, v.String())
		switch v.Kind {
		case Jump, Goto:
			next := w.hc.chain(bc.table, v.Chain) // readers refuse a missing chain
			if onPath(next, w.at, w.stack) {
				v, by = w.giveUp(bc)
				return v, by, false
			}
			if next != nil {
				if v.Kind == Jump {
					w.stack = append(w.stack, w.at)
				}
				w.at = frame{next, 0}
			}
		case Return:
			w.at.next = len(w.at.chain.Rules) // as if off the chain's end: back to the caller
		case DNAT, Redirect, Tproxy:
			w.applyNAT(v)
			return Verdict{Kind: Accept}, r.Origin, false
		default:
			return v, r.Origin, false
		}
	}
	v, by = w.giveUp(bc)
	return v, by, false
}

// onPath reports whether c is the chain being run or one of its callers:
// going there again is a loop, which the kernel refuses to load.
func onPath(c *Chain, at frame, stack []frame) bool {
	return c != nil && (c == at.chain || slices.ContainsFunc(stack, func(f frame) bool { return f.chain == c }))
}

func (w *walker) policy(bc baseChain) (Verdict, Origin) {
	o := bc.chain.Origin
	if o.Chain == "" {
		o = Origin{Backend: bc.table.Backend, Family: bc.table.Family, Table: bc.table.Name, Chain: bc.chain.Name}
	}
	if o.Text == "" {
		o.Text = fmt.Sprintf("policy %s", bc.chain.Policy)
	}
	v := bc.chain.Policy
	if v.Kind != Drop {
		v = Verdict{Kind: Accept}
	}
	w.step(o, "policy "+v.String())
	return v, o
}

// giveUp ends a walk that looped or went deeper than any loaded ruleset
// can: the kernel would have refused to load it, so no verdict can be
// trusted.
func (w *walker) giveUp(bc baseChain) (Verdict, Origin) {
	key := "(chain loop in " + bc.table.Name + " " + bc.chain.Name + ")"
	w.note(unknownDecision(key), true)
	return Verdict{Kind: UnknownTarget, Target: key}, Origin{Table: bc.table.Name, Chain: bc.chain.Name, Text: key}
}

// endsWalk decides whether a target perimeter does not understand ends
// the packet's walk, which nobody can tell from the rules.
func (w *walker) endsWalk(v Verdict) bool {
	return w.decide(unknownDecision("-j " + v.Target))
}

// trail is the path of a walk so far, last step first: walkers split off
// share the steps they took together.
type trail struct {
	step Step
	prev *trail
	n    int
}

func (t *trail) len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// path is the trail in order.
func (t *trail) path() []Step {
	if t == nil {
		return nil
	}
	out := make([]Step, t.len())
	for i := len(out) - 1; t != nil; i, t = i-1, t.prev {
		out[i] = t.step
	}
	return out
}

func (w *walker) step(o Origin, action string) {
	w.trail = &trail{Step{Hook: w.hook, Origin: o, Action: action}, w.trail, w.trail.len() + 1}
}

// verdictOf is the rule's verdict, or the one its verdict map selects.
func (w *walker) verdictOf(r *Rule) Verdict {
	if r.VMap == nil {
		return r.Verdict
	}
	keys, ok, unknown := w.keys(r.VMap.Fields)
	if !ok && !unknown {
		return Verdict{}
	}
	for i, e := range r.VMap.Entries {
		if unknown {
			if w.decide(unknownDecision(fmt.Sprintf("%s [element %d]", r.VMap.Text, i+1))) {
				return e.Verdict
			}
			continue
		}
		if elemContains(e.Elem, keys) {
			return e.Verdict
		}
	}
	return Verdict{}
}

// matches reports whether every match of r holds, once the walk's ports
// are narrowed to ones r treats alike. Decidable matches go
// first, so a false one spares forking on the undecidable ones; a rule
// that only logs behind a rate limit counts as matching, its log marked
// rate-limited.
func (w *walker) matches(r *Rule) bool {
	if w.ports.multi && !w.narrow(r) {
		return false
	}
	var open []*Match
	for i := range r.Matches {
		switch m := &r.Matches[i]; w.eval(m) {
		case False:
			return false
		case Unknown:
			open = append(open, m)
		}
	}
	if len(open) == 0 {
		return true
	}
	if onlyLimits(open) && onlyLogs(r) {
		w.pendingLimit = limitText(open)
		return true
	}
	for _, m := range open {
		if !w.settle(m) {
			return false
		}
	}
	return true
}

// settle decides a match eval left open, forking where the default probe
// does not settle it. A match on a free field may have been settled by
// an earlier fork of the same rule.
func (w *walker) settle(m *Match) bool {
	if t, ok := w.evalFree(m); ok {
		if t != Unknown {
			return t == True
		}
		return w.settleFree(m)
	}
	return w.decide(w.decisionFor(m))
}

// decisionFor is the fork of a match the walker cannot decide: a choice
// when the sender decides it, else an unknown.
func (w *walker) decisionFor(m *Match) decision {
	switch {
	case m.Choice != nil:
		d := choiceDecision(m.Text, m.Choice.Default, m.Choice.If)
		d.rate = m.Choice.Rate
		return d
	case m.Recent != nil:
		return w.recentDecision(m)
	case m.readsIPsec():
		return choiceDecision(m.Text, m.containsOne(U8(0)) != m.Negate, "over IPsec")
	}
	return unknownDecision(m.Text)
}

func onlyLimits(ms []*Match) bool {
	for _, m := range ms {
		if !m.IsLimit() {
			return false
		}
	}
	return true
}

func onlyLogs(r *Rule) bool {
	if r.Verdict.Kind != Continue || r.VMap != nil || len(r.Statements) == 0 {
		return false
	}
	for _, s := range r.Statements {
		if s.Kind != StmtLog && s.Kind != StmtCounter {
			return false
		}
	}
	return true
}

func limitText(ms []*Match) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.Text)
	}
	return strings.Join(parts, ", ")
}
