package rules

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// maxRuns bounds how many combinations of undecided matches one
// evaluation follows. maxDepth bounds the jump stack of one walk and
// minSteps the rules it visits (more for a large ruleset): the kernel
// refuses loops, but a ruleset read from a file need not have been loaded.
const (
	maxRuns  = 64
	maxDepth = 256
	minSteps = 1 << 12
)

// Evaluate follows p, arriving from outside, through every base chain on
// its way in: ingress, prerouting, then input for a local destination or
// forward for any other, as the kernel does. The first outcome is the
// default probe's; matches the default probe does not settle fork the walk
// (see Choice), and the Result holds every outcome with the conditions
// that lead to it. A zero p.Sport is a source port the sender picks.
func (rs *Ruleset) Evaluate(p Packet, env *Env) Result {
	return rs.hookChains(p.Family).evaluate(p, env)
}

// evaluate follows p in, then its replies out.
func (hc *hookChains) evaluate(p Packet, env *Env) Result {
	res := hc.walkAll(p, env, (*walker).runIn)
	for i := range res.Outcomes {
		hc.replies(&res.Outcomes[i], p, env)
	}
	res.Undecided = res.undecided()
	return res
}

// walkAll walks p once per combination of undecided matches, each walk
// driven by walk; the first walk takes every match's default side. The
// caller names what is undecided, once the outcomes are complete.
func (hc *hookChains) walkAll(p Packet, env *Env, walk func(*walker)) Result {
	var res Result
	queue := []map[string]bool{{}}
	w := &hc.w // one walker, reset for every walk: its key cache is large
	for len(queue) > 0 {
		if len(res.Outcomes) == maxRuns {
			res.Truncated = true
			break
		}
		assume := queue[0]
		queue = queue[1:]
		w.reset(hc, p, env, assume)
		walk(w)
		res.Outcomes = append(res.Outcomes, w.out)
		queue = append(queue, w.branches(assume)...)
	}
	return res
}

// hookChains holds, per hook, the base chains that see a family, in the
// order the kernel runs them: the ruleset as a packet of that family meets
// it, on its way in and its replies' way out.
type hookChains struct {
	rs       *Ruleset
	family   Family
	hooks    map[Hook][]baseChain
	maxSteps int
	// sport and recentSets are found when a walk first needs them: most
	// walks (replies, neighbour discovery) never do.
	sport      uint16
	recentSets map[string]bool
	// w is the walker of every walk: walks never nest.
	w walker
	// chains indexes each table's chains by name, for jumps: kube-proxy
	// tables hold tens of thousands.
	chains map[*Table]map[string]*Chain
	// ctx, when set, stops walks once done: one walk of a large ruleset
	// takes a while.
	ctx context.Context
}

// How often a prediction looks at its context: every checkSteps steps of
// a walk, after every walk, every checkEvery classes.
const (
	checkSteps = 4096
	checkEvery = 64
)

// err is the context's error, once it is done.
func (hc *hookChains) err() error {
	if hc.ctx == nil {
		return nil
	}
	return hc.ctx.Err()
}

// errEvery is err at every checkEvery-th class i.
func (hc *hookChains) errEvery(i int) error {
	if i%checkEvery != 0 {
		return nil
	}
	return hc.err()
}

// chain is t's chain of that name, or nil.
func (hc *hookChains) chain(t *Table, name string) *Chain {
	byName, ok := hc.chains[t]
	if !ok {
		byName = make(map[string]*Chain, len(t.Chains))
		for _, c := range t.Chains {
			if _, dup := byName[c.Name]; !dup {
				byName[c.Name] = c
			}
		}
		hc.chains[t] = byName
	}
	return byName[name]
}

// defaultSport is the default probe's source port: an ephemeral one that
// no rule tells apart from most of the ephemeral range.
func (hc *hookChains) defaultSport() uint16 {
	if hc.sport == 0 {
		hc.sport = hc.rs.defaultSport(hc.family)
	}
	return hc.sport
}

// fills reports whether some rule fills (--set) a recent list: only
// earlier probes can put a source on such a list.
func (hc *hookChains) fills(list string) bool {
	if hc.recentSets == nil {
		hc.recentSets = hc.rs.recentSets(hc.family)
	}
	return hc.recentSets[list]
}

type baseChain struct {
	table *Table
	chain *Chain
}

func (rs *Ruleset) hookChains(f Family) *hookChains {
	hc := &hookChains{rs: rs, family: f, hooks: map[Hook][]baseChain{}, maxSteps: max(minSteps, 4*rs.NumRules()),
		chains: map[*Table]map[string]*Chain{}}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if c.Hook != "" && (t.Family.Sees(f) || c.Hook == HookIngress && t.Family == FamilyNetdev) {
				hc.hooks[c.Hook] = append(hc.hooks[c.Hook], baseChain{t, c})
			}
		}
	}
	for _, chains := range hc.hooks {
		slices.SortStableFunc(chains, func(a, b baseChain) int { return a.chain.Priority - b.chain.Priority })
	}
	return hc
}

// walker is one walk of one packet under one set of assumptions.
type walker struct {
	env    *Env
	pkt    Packet
	hc     *hookChains
	assume map[string]bool
	// taken are the forks this walk met that assume did not cover, in
	// order, with the side taken; met are all the forks it met, for the
	// outcome's assumptions.
	taken  []taken
	met    []taken
	free   [numFree]freeValue
	trail  *trail // the outcome's path, until finish
	ctmark uint32
	recent map[string]int // hits on recent lists during this walk
	cache  [numFields]cachedKey
	// orig is conntrack's original tuple: the packet's own before any NAT
	// (its source port free with the packet's), or a reply's connection's.
	orig    tuple
	ctExtra CtState // CtDNAT once a DNAT changed the destination
	oif     string  // output interface once routed; "" in input
	hook    Hook
	natDone bool
	// redirected is set by REDIRECT and TPROXY: the packet goes to a
	// local socket whatever its address.
	redirected bool
	// pendingLimit is the rate limit of the log rule that just matched.
	pendingLimit string
	steps        int
	out          Outcome
	// stage, base, at and stack are where the walk is: the stage of the
	// way in, the base chain of the hook, the next rule and the jumps'
	// return addresses. resumed is set on a walker split off (spawn) until
	// it is back where it was.
	stage   stage
	base    int
	at      frame
	stack   []frame
	resumed bool
	// ports are the destination ports a walk of the whole port space
	// stands for (see portset.go); its set is nil for one packet.
	ports portSet
	// acceptRule and acceptPolicy are the last rule and the last policy
	// that accepted the packet in a base chain.
	acceptRule, acceptPolicy Origin
	acceptedByRule           bool
	acceptedByChain          bool
}

// taken is a fork met on a walk and the side the walk took.
type taken struct {
	d     decision
	holds bool
}

func (w *walker) reset(hc *hookChains, p Packet, env *Env, assume map[string]bool) {
	*w = walker{env: env, pkt: p, hc: hc, assume: assume, orig: tuple{p.Src, p.Dst, p.Sport, p.Dport}}
	if p.orig != nil {
		w.orig = *p.orig
	}
	w.initFree()
}

// branches returns the assumption sets still to follow: for each fork this
// walk took on its own, the same walk up to it, then the other side.
func (w *walker) branches(assume map[string]bool) []map[string]bool {
	var out []map[string]bool
	for i, t := range w.taken {
		b := maps.Clone(assume)
		for _, prev := range w.taken[:i] {
			b[prev.d.key] = prev.holds
		}
		b[t.d.key] = !t.holds
		out = append(out, b)
	}
	return out
}

// decide gives a fork a side: the assumed one, the one taken earlier on
// this walk, or, met for the first time, its default (the walk's branches
// cover the other side).
func (w *walker) decide(d decision) bool {
	holds, ok := w.assume[d.key]
	if !ok {
		i := slices.IndexFunc(w.taken, func(t taken) bool { return t.d.key == d.key })
		if i >= 0 {
			return w.taken[i].holds
		}
		holds = d.dflt
		w.taken = append(w.taken, taken{d, holds})
	}
	w.note(d, holds)
	return holds
}

// note records a fork the walk met, once, for the outcome's assumptions.
func (w *walker) note(d decision, holds bool) {
	if d.free {
		return
	}
	if !slices.ContainsFunc(w.met, func(t taken) bool { return t.d.key == d.key }) {
		w.met = append(w.met, taken{d, holds})
	}
}

// stage is a step of the way in.
type stage uint8

// Stages of the way in, in order.
const (
	stageIngress stage = iota
	stagePrerouting
	stageInput
	stageForward
)

// runIn walks the hooks of a packet coming in, from the stage the walker
// is at: a walker split off resumes in the hook it was split in.
func (w *walker) runIn() {
	switch w.stage {
	case stageIngress:
		if !w.runHook(HookIngress) {
			break
		}
		w.stage = stagePrerouting
		fallthrough
	case stagePrerouting:
		if w.runHook(HookPrerouting) {
			w.route()
		}
	case stageInput:
		w.runHook(HookInput)
	case stageForward:
		w.runHook(HookForward)
	}
	w.finish()
}

// route delivers the packet to input or forward, as the routing decision
// after prerouting does.
func (w *walker) route() {
	if by, drops := w.env.rpFilterDrops(w.pkt); drops {
		w.out.Verdict, w.out.Decider = Verdict{Kind: Drop}, by
		return
	}
	if w.redirected || w.env.IsLocal(w.pkt.Dst) || w.pkt.Dst.IsMulticast() {
		if w.martian() {
			w.out.Verdict = Verdict{Kind: Drop}
			w.out.Decider = routing("%s is a loopback address and route_localnet is off on %s", w.pkt.Dst, w.pkt.InIface)
			return
		}
		w.stage = stageInput
		w.runHook(HookInput)
		return
	}
	if v, by, ok := w.env.unroutable(w.pkt); ok {
		w.out.Verdict, w.out.Decider = v, by
		return
	}
	w.out.Forwarded = true
	w.oif, _ = w.env.route(w.pkt.Dst) // "" when unknown
	w.out.OutIface = w.oif
	if w.oif == "" {
		w.oif = unknownIface
	}
	w.changed()
	w.stage = stageForward
	w.runHook(HookForward)
}

// martian reports whether the kernel refuses a packet to a loopback
// address (after a DNAT to 127.0.0.1) on its incoming interface.
func (w *walker) martian() bool {
	martian, known := w.env.martian(w.pkt)
	if known {
		return martian
	}
	return !w.decide(unknownDecision("net.ipv4.conf." + w.pkt.InIface + ".route_localnet"))
}

// unknownIface stands for an output interface no route names.
const unknownIface = "\x00?"

// finish fills in the outcome of a packet that no drop stopped.
func (w *walker) finish() {
	w.out.Path = w.trail.path()
	w.out.Dst, w.out.Dport = w.pkt.Dst, w.pkt.Dport
	w.out.Sport = w.free[freeSport].value(w.pkt.Sport)
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

// assumed lists what the walk assumed: the forks it met, then the values
// the sender picks where rules told them apart.
func (w *walker) assumed() []Assumption {
	var out []Assumption
	for _, t := range w.met {
		out = append(out, t.d.assume(t.holds))
	}
	slices.SortFunc(out, func(a, b Assumption) int { return strings.Compare(a.Match, b.Match) })
	return append(out, w.freeAssumptions()...)
}

// runHook runs the base chains of one hook; false means the packet ended.
func (w *walker) runHook(h Hook) bool {
	if !w.resumed {
		w.hook, w.natDone, w.base = h, false, 0
	}
	chains := w.hc.hooks[h]
	for ; w.base < len(chains); w.base++ {
		bc := chains[w.base]
		if !w.resumed && !w.appliesHere(bc) {
			continue
		}
		v, by, policy := w.runBase(bc)
		switch {
		case v.Kind == Accept:
			w.noteAccept(by, policy)
		case v.Kind.Terminal():
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
