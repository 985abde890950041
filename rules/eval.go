package rules

import (
	"maps"
	"slices"
	"strings"
)

// maxRuns bounds how many combinations of undecided matches one
// evaluation follows; maxSteps bounds one walk (the kernel refuses loops,
// but a ruleset read from a file need not have been loaded).
const (
	maxRuns  = 64
	maxSteps = 1 << 20
)

// Evaluate follows p, arriving from outside, through every base chain on
// its way in: ingress, prerouting, then input for a local destination or
// forward for any other, as the kernel does. Undecidable matches fork the
// walk; the Result holds every outcome and names what decides between
// them.
func (rs *Ruleset) Evaluate(p Packet, env *Env) Result {
	hc := rs.hookChains(p.Family)
	return hc.evaluate(p, env, hc.neighbor(p, env))
}

// evaluate follows p in, then its replies out; nb is the fate of neighbour
// discovery on the way to the host, shared by every port.
func (hc hookChains) evaluate(p Packet, env *Env, nb *Reply) Result {
	res := hc.walkAll(p, env, (*walker).runIn)
	for i := range res.Outcomes {
		res.Outcomes[i].Neighbor = nb
		hc.replies(&res.Outcomes[i], p, env)
	}
	return res
}

// walkAll walks p once per combination of undecided matches, each walk
// driven by walk.
func (hc hookChains) walkAll(p Packet, env *Env, walk func(*walker)) Result {
	var res Result
	queue := []map[string]bool{{}}
	w := new(walker) // one walker, reset for every walk: its key cache is large
	for len(queue) > 0 {
		if len(res.Outcomes) == maxRuns {
			res.Truncated = true
			break
		}
		assume := queue[0]
		queue = queue[1:]
		*w = walker{env: env, pkt: p, hc: hc, assume: assume}
		walk(w)
		res.Outcomes = append(res.Outcomes, w.out)
		queue = append(queue, w.branches(assume)...)
	}
	res.Undecided = res.undecided()
	return res
}

func (r Result) undecided() []string {
	if r.Certain() {
		return nil
	}
	var names []string
	for _, o := range r.Outcomes {
		for _, a := range o.Assumed {
			if !slices.Contains(names, a.Match) {
				names = append(names, a.Match)
			}
		}
	}
	if r.Truncated {
		names = append(names, "(more undecided matches than followed)")
	}
	return names
}

// hookChains holds, per hook, the base chains that see a family, in the
// order the kernel runs them: the ruleset as a packet of that family meets
// it, on its way in and its replies' way out.
type hookChains map[Hook][]baseChain

type baseChain struct {
	table *Table
	chain *Chain
}

func (rs *Ruleset) hookChains(f Family) hookChains {
	hc := hookChains{}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if c.Hook != "" && (t.Family.Sees(f) || c.Hook == HookIngress && t.Family == FamilyNetdev) {
				hc[c.Hook] = append(hc[c.Hook], baseChain{t, c})
			}
		}
	}
	for _, chains := range hc {
		slices.SortStableFunc(chains, func(a, b baseChain) int { return a.chain.Priority - b.chain.Priority })
	}
	return hc
}

// walker is one walk of one packet under one set of assumptions.
type walker struct {
	env    *Env
	pkt    Packet
	hc     hookChains
	assume map[string]bool
	// defaults are the undecided matches this walk met that assume did
	// not cover, in order; each was taken to hold.
	defaults []string
	ctmark   uint32
	recent   map[string]int // hits on recent lists during this walk
	cache    [numFields]cachedKey
	ctExtra  CtState // CtDNAT once a DNAT changed the destination
	oif      string  // output interface once routed; "" in input
	hook     Hook
	natDone  bool
	// redirected is set by REDIRECT and TPROXY: the packet goes to a
	// local socket whatever its address.
	redirected bool
	// pendingLimit is the rate limit of the log rule that just matched.
	pendingLimit string
	steps        int
	out          Outcome
	// acceptRule and acceptPolicy are the last rule and the last policy
	// that accepted the packet in a base chain.
	acceptRule, acceptPolicy Origin
	acceptedByRule           bool
	acceptedByChain          bool
}

// branches returns the assumption sets still to follow: for each default
// this walk took, the same walk up to it, then the other way.
func (w *walker) branches(assume map[string]bool) []map[string]bool {
	var out []map[string]bool
	for i, d := range w.defaults {
		b := maps.Clone(assume)
		for _, prev := range w.defaults[:i] {
			b[prev] = true
		}
		b[d] = false
		out = append(out, b)
	}
	return out
}

// runIn walks the hooks of a packet coming in.
func (w *walker) runIn() {
	if w.runHook(HookIngress) && w.runHook(HookPrerouting) {
		w.route()
	}
	w.finish()
}

// route delivers the packet to input or forward, as the routing decision
// after prerouting does.
func (w *walker) route() {
	if w.redirected || w.env.IsLocal(w.pkt.Dst) || w.pkt.Dst.IsMulticast() {
		w.runHook(HookInput)
		return
	}
	if !w.env.forwards(w.pkt.Family) {
		// ip_error() drops silently when the interface does not forward.
		w.out.Verdict = Verdict{Kind: Drop}
		w.out.Decider = Origin{Table: "routing", Text: "destination is not local and forwarding is disabled"}
		return
	}
	w.out.Forwarded = true
	w.oif = w.env.routeIface(w.pkt.Dst)
	w.out.OutIface = w.oif
	if w.oif == "" {
		w.oif = unknownIface
	}
	w.changed()
	w.runHook(HookForward)
}

// unknownIface stands for an output interface no route names.
const unknownIface = "\x00?"

// finish fills in the outcome of a packet that no drop stopped.
func (w *walker) finish() {
	w.out.Dst, w.out.Dport = w.pkt.Dst, w.pkt.Dport
	w.out.Assumed = w.assumed()
	if w.out.Verdict.Kind != Accept && w.out.Verdict.Kind != 0 {
		return
	}
	w.out.Verdict = Verdict{Kind: Accept}
	w.out.Decider = w.acceptPolicy
	if w.acceptedByRule {
		w.out.Decider = w.acceptRule
	}
	if !w.acceptedByChain {
		w.out.Decider = Origin{Table: "no rules", Text: "no base chain on the way filters this packet"}
	}
}

func (w *walker) assumed() []Assumption {
	var out []Assumption
	for k, v := range w.assume {
		out = append(out, Assumption{k, v})
	}
	for _, d := range w.defaults {
		out = append(out, Assumption{d, true})
	}
	slices.SortFunc(out, func(a, b Assumption) int { return strings.Compare(a.Match, b.Match) })
	return out
}

// runHook runs the base chains of one hook; false means the packet ended.
func (w *walker) runHook(h Hook) bool {
	w.hook = h
	w.natDone = false
	for _, bc := range w.hc[h] {
		if !w.appliesHere(bc) {
			continue
		}
		v, by, policy := w.runBase(bc)
		switch v.Kind {
		case Accept:
			w.noteAccept(by, policy)
		case Drop, Reject, Queue:
			w.out.Verdict, w.out.Decider = v, by
			return false
		}
	}
	return true
}

// appliesHere filters base chains the packet skips: ingress chains of other
// devices, and nat chains once NAT is set up or for untracked packets.
func (w *walker) appliesHere(bc baseChain) bool {
	c := bc.chain
	if c.Hook == HookIngress && len(c.Devices) > 0 && !slices.Contains(c.Devices, w.pkt.InIface) {
		return false
	}
	if c.Type == "nat" {
		return !w.natDone && w.pkt.ctState() == CtNew
	}
	return true
}

// noteAccept remembers who accepted: the deciding rule of an accepted
// packet is the last rule that accepted it, or failing any, the last
// policy.
func (w *walker) noteAccept(by Origin, policy bool) {
	if !policy {
		w.acceptRule, w.acceptedByRule = by, true
	}
	w.acceptPolicy, w.acceptedByChain = by, true
}
