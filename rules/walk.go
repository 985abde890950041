package rules

import (
	"fmt"
	"strings"
)

// frame is a place in a chain: the chain and the index of the next rule.
type frame struct {
	chain *Chain
	next  int
}

// runBase runs one base chain to its verdict, Accept, Drop, Reject or
// Queue, with the rule or policy that gave it.
func (w *walker) runBase(bc baseChain) (v Verdict, by Origin, policy bool) {
	var stack []frame // return addresses of jumps
	at := frame{bc.chain, 0}
	for ; w.steps < maxSteps; w.steps++ {
		if at.next >= len(at.chain.Rules) {
			if len(stack) == 0 {
				v, by = w.policy(bc)
				return v, by, true
			}
			at, stack = stack[len(stack)-1], stack[:len(stack)-1]
			continue
		}
		r := at.chain.Rules[at.next]
		at.next++
		if !w.matches(r) {
			continue
		}
		w.runStatements(r)
		if v = w.verdictOf(r); v.Kind == Continue {
			continue
		}
		w.step(r.Origin, v.String())
		switch v.Kind {
		case Jump, Goto:
			if next := bc.table.Chain(v.Chain); next != nil { // readers refuse a missing chain
				if v.Kind == Jump {
					stack = append(stack, at)
				}
				at = frame{next, 0}
			}
		case Return:
			at.next = len(at.chain.Rules) // as if off the chain's end: back to the caller
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

// giveUp ends a walk that looped: the kernel would have refused to load
// such a ruleset, so no verdict can be trusted.
func (w *walker) giveUp(bc baseChain) (Verdict, Origin) {
	key := "(chain loop in " + bc.table.Name + " " + bc.chain.Name + ")"
	w.defaults = append(w.defaults, key)
	return Verdict{Kind: Drop}, Origin{Table: bc.table.Name, Chain: bc.chain.Name, Text: key}
}

func (w *walker) step(o Origin, action string) {
	w.out.Path = append(w.out.Path, Step{Hook: w.hook, Origin: o, Action: action})
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
			if w.decide(fmt.Sprintf("%s [element %d]", r.VMap.Text, i+1)) {
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

// matches reports whether every match of r holds. Decidable matches go
// first, so a false one spares forking on the undecidable ones; a rule
// that only logs behind a rate limit counts as matching, its log marked
// rate-limited.
func (w *walker) matches(r *Rule) bool {
	var unknown []*Match
	for i := range r.Matches {
		switch m := &r.Matches[i]; w.eval(m) {
		case False:
			return false
		case Unknown:
			unknown = append(unknown, m)
		}
	}
	if len(unknown) == 0 {
		return true
	}
	if onlyLimits(unknown) && onlyLogs(r) {
		w.pendingLimit = limitText(unknown)
		return true
	}
	for _, m := range unknown {
		if !w.decide(m.Text) {
			return false
		}
	}
	return true
}

// decide gives an undecidable match a value: the assumed one, or, met for
// the first time, true (the walk's branches cover false).
func (w *walker) decide(key string) bool {
	if v, ok := w.assume[key]; ok {
		return v
	}
	for _, d := range w.defaults {
		if d == key {
			return true
		}
	}
	w.defaults = append(w.defaults, key)
	return true
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
