package rules_test

// The oracle compares one loaded ruleset with the kernel, query by query:
// the default probe on every class boundary and on random ports, batch by
// batch, with the rule counters read around each batch to see which log
// statements fired; then every kind of sender's choice the prediction
// names that a prober can make (a source port, earlier probes, a burst
// above a limit), probed that way.

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"

	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
)

// pacedBudget bounds how long the default probes of rate-limited ports
// may take per query; ports beyond it are skipped and counted.
const pacedBudget = 4 * time.Second

// oracle checks one ruleset loaded into its lab.
type oracle struct {
	t      *testing.T
	ctx    context.Context
	lab    *sandbox.Lab
	name   string // seeds the random ports
	rs     *rules.Ruleset
	env    *rules.Env
	used   map[netip.Addr]bool // prober sources spent on order choices
	bursts []choiceCheck       // rate choices, confirmed last
	tally  tally
}

func newOracle(ctx context.Context, t *testing.T, lab *sandbox.Lab, name string, rs *rules.Ruleset, env *rules.Env) *oracle {
	return &oracle{t: t, ctx: ctx, lab: lab, name: name, rs: rs, env: env, used: map[netip.Addr]bool{}, tally: tally{rulesets: 1}}
}

// query is one query's ports and listeners.
type query struct {
	q         rules.Query
	proto     string
	v6        bool
	preds     []rules.PortPrediction
	nd        *rules.NeighborDiscovery
	listening []uint16
	logs      []logRule
}

// check probes q's ports with the default probe, then confirms the
// source-port and order choices; rate choices wait for finish.
func (o *oracle) check(q rules.Query) {
	x := &query{q: q, proto: rules.ProtoName(q.Proto), v6: q.Family == rules.FamilyIPv6,
		preds: o.rs.Predict(o.env, q), nd: o.rs.NeighborDiscovery(o.env, q), logs: inboundLogRules(o.rs, q)}
	ports := portsToProbe(o.name+x.proto, x.preds)
	x.listening = listeners(ports)
	stop := o.listen(x.proto, x.listening)
	defer stop()
	for _, b := range batches(x.preds, ports) {
		o.defaultBatch(x, b)
	}
	for _, c := range choiceChecks(x, ports) {
		o.confirm(x, c)
	}
}

// listen starts listeners on the target (and behind it) until stop.
func (o *oracle) listen(proto string, ports []uint16) (stop func()) {
	must(o.t, o.lab.Listen(proto, ports))
	if o.lab.Backend == "" {
		return func() { o.lab.StopListening(proto, ports) }
	}
	must(o.t, o.lab.ListenIn(o.lab.Backend, proto, ports))
	return func() {
		o.lab.StopListening(proto, ports)
		o.lab.StopListeningIn(o.lab.Backend, proto, ports)
	}
}

// want is what the prober should see when the rules treat its packet as
// outcome oc (or, with oc nil, as the default probe's outcomes).
func (x *query) want(res rules.Result, oc *rules.Outcome, port uint16) (probe.State, bool) {
	isListening := func(p uint16) bool { return slices.Contains(x.listening, p) }
	if oc != nil {
		return report.ExpectOutcome(*oc, x.q.Proto, port, isListening, x.nd)
	}
	return report.Expect(res, x.q.Proto, port, isListening, x.nd)
}

// batch is ports whose default probe should fire the same log rules and
// that are probed the same way: as fast as the lab goes, below a rate
// limit, or (setters) each from a source of its own.
type batch struct {
	ports []uint16
	pace  *rules.Rate
	// setter marks ports whose way puts the source on a recent list: a
	// probe there would make every later probe from its source another
	// than the default probe, which is first contact. They go last.
	setter bool
	logs   map[string]bool
}

func batches(preds []rules.PortPrediction, ports []uint16) []*batch {
	byKey := map[string]*batch{}
	var out []*batch
	for _, p := range ports {
		res := predictionFor(preds, p)
		b := &batch{pace: paceOf(res), setter: setsRecent(res.Default()), logs: logKeys(res.Default().Logs)}
		key := fmt.Sprint(b.pace != nil, b.setter, keysOf(b.logs))
		if have, ok := byKey[key]; ok {
			b = have
		} else {
			byKey[key] = b
			out = append(out, b)
		}
		b.ports = append(b.ports, p)
	}
	slices.SortStableFunc(out, func(a, b *batch) int { return boolInt(a.setter) - boolInt(b.setter) })
	return out
}

func setsRecent(oc rules.Outcome) bool {
	return slices.ContainsFunc(oc.Path, func(s rules.Step) bool { return strings.HasPrefix(s.Action, "recent set ") })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// paceOf is the slowest rate limit the default probe must stay below on
// its way in or its replies' way out; nil when none.
func paceOf(res rules.Result) *rules.Rate {
	var slowest *rules.Rate
	consider := func(as []rules.Assumption) {
		for _, a := range as {
			if a.Rate != nil && (slowest == nil || a.Rate.PerSecond < slowest.PerSecond) {
				slowest = a.Rate
			}
		}
	}
	for _, oc := range res.Outcomes {
		consider(oc.Assumed)
		for _, r := range []*rules.Reply{oc.Answer, oc.Refusal} {
			if r != nil {
				consider(r.Otherwise)
			}
		}
	}
	return slowest
}

// defaultBatch probes a batch with the default probe: the states must be
// the predicted ones, and the log rules that fire the predicted ones.
func (o *oracle) defaultBatch(x *query, b *batch) {
	if x.v6 && !b.setter {
		o.warm(x, b.ports[0])
	}
	before := o.counters()
	results := o.probeDefault(x, b)
	o.checkLogs(fmt.Sprintf("%s %s ports %s", x.q.Family, x.proto, portList(b.ports)), x.logs, b.logs, before, o.counters())
	var again []uint16
	for _, p := range results {
		switch want, certain := x.want(p.res, nil, p.r.Port); {
		case !certain:
			o.tally[undecided]++
		case p.r.State == want:
			o.tally.agree(p.res)
		case b.setter:
			o.disagree(x, p.src, p.r, p.res, want)
		default:
			again = append(again, p.r.Port)
		}
	}
	o.reprobe(x, again)
}

// probed is what one probe saw, with the prediction for its source.
type probed struct {
	r   sandbox.Result
	res rules.Result
	src netip.Addr
}

func (o *oracle) disagree(x *query, src netip.Addr, r sandbox.Result, res rules.Result, want probe.State) {
	o.tally[disagreed]++
	first := res.Default()
	o.t.Errorf("%s %s port %d from %s: predicted %s (%s by %s), kernel says %s", x.q.Family, x.proto, r.Port, src, want,
		first.Verdict, first.Decider.Text, r)
}

// warm sends one probe of the batch first, so that its counters do not
// count IPv6 neighbour discovery.
func (o *oracle) warm(x *query, port uint16) {
	o.lab.Probe(o.ctx, x.v6, x.proto, x.q.Src, x.q.Dst, []uint16{port}, sandbox.DefaultTimeout)
}

// probeDefault probes the batch the way its kind asks.
func (o *oracle) probeDefault(x *query, b *batch) []probed {
	if b.setter {
		return o.probeFirstContacts(x, b.ports)
	}
	var rs []sandbox.Result
	if b.pace != nil {
		rs = o.probePaced(x, b.ports, b.pace)
	} else {
		rs = o.lab.Probe(o.ctx, x.v6, x.proto, x.q.Src, x.q.Dst, b.ports, sandbox.DefaultTimeout)
	}
	out := make([]probed, len(rs))
	for i, r := range rs {
		out[i] = probed{r, predictionFor(x.preds, r.Port), x.q.Src}
	}
	return out
}

// probePaced probes ports at half a rate limit's rate, so the limit
// refills faster than the probes drain it, within pacedBudget: the class
// boundaries first, which speak for their classes.
func (o *oracle) probePaced(x *query, ports []uint16, pace *rules.Rate) []sandbox.Result {
	ports = boundariesFirst(x.preds, ports)
	gap := time.Duration(2 / pace.PerSecond * float64(time.Second))
	deadline := time.Now().Add(pacedBudget)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var out []sandbox.Result
	for i, p := range ports {
		if i > 0 {
			time.Sleep(gap)
		}
		if time.Now().After(deadline) {
			o.tally[skipped] += len(ports) - i
			break
		}
		wg.Go(func() {
			r := o.lab.Probe(o.ctx, x.v6, x.proto, x.q.Src, x.q.Dst, []uint16{p}, sandbox.DefaultTimeout)
			mu.Lock()
			defer mu.Unlock()
			out = append(out, r...)
		})
	}
	wg.Wait()
	o.tally[paced] += len(out)
	return out
}

func boundariesFirst(preds []rules.PortPrediction, ports []uint16) []uint16 {
	edge := map[uint16]bool{}
	for _, p := range preds {
		edge[p.From], edge[p.To] = true, true
	}
	out := slices.Clone(ports)
	slices.SortStableFunc(out, func(a, b uint16) int { return boolInt(!edge[a]) - boolInt(!edge[b]) })
	return out
}

// probeFirstContacts probes each port patiently from a source of its own,
// judged by that source's prediction; ports beyond the lab's sources are
// skipped.
func (o *oracle) probeFirstContacts(x *query, ports []uint16) []probed {
	var out []probed
	for i, p := range ports {
		src, ok := o.freshSource(x.v6)
		if !ok {
			o.tally[skipped] += len(ports) - i
			break
		}
		r := o.lab.Probe(o.ctx, x.v6, x.proto, src, x.q.Dst, []uint16{p}, time.Second)[0]
		out = append(out, probed{r, o.rs.Evaluate(packetOf(x.q, src, p), o.env), src})
	}
	return out
}

// reprobe gives the disagreements a patient second probe from a source
// the host has not seen: a loaded machine can miss a reply in the short
// first timeout. A disagreement counts only if it is confirmed.
func (o *oracle) reprobe(x *query, ports []uint16) {
	if len(ports) == 0 {
		return
	}
	q := x.q
	q.Src = spareSource(o.lab, x.v6)
	preds := o.rs.Predict(o.env, q)
	for _, r := range o.lab.Probe(o.ctx, x.v6, x.proto, q.Src, q.Dst, ports, 3*time.Second) {
		res := predictionFor(preds, r.Port)
		switch want, certain := x.want(res, nil, r.Port); {
		case !certain:
			o.tally[undecided]++
		case r.State == want:
			o.tally.agree(res)
		default:
			o.disagree(x, q.Src, r, res, want)
		}
	}
}

// choiceCheck is one outcome a sender's choice leads to, on one port.
type choiceCheck struct {
	x       *query
	port    uint16
	res     rules.Result
	oc      rules.Outcome
	choice  rules.Assumption
	kind    string // "source port", "order", "rate"
	display string
}

// maxChoicePorts bounds the ports probed for one choice.
const maxChoicePorts = 3

// choiceChecks picks, for every choice a probed port's outcomes name that
// a prober can make, up to maxChoicePorts ports to probe it on. Outcomes
// that also rest on unknowns, or on several choices at once, are left.
func choiceChecks(x *query, ports []uint16) []choiceCheck {
	seen := map[string]int{}
	var out []choiceCheck
	for _, p := range ports {
		res := predictionFor(x.preds, p)
		for _, oc := range res.Outcomes[1:] {
			c, ok := choiceOf(oc)
			if !ok || seen[c.kind+c.choice.If] >= maxChoicePorts {
				continue
			}
			seen[c.kind+c.choice.If]++
			c.x, c.port, c.res = x, p, res
			out = append(out, c)
		}
	}
	return out
}

// choiceOf is the one choice a prober can make that leads to oc.
func choiceOf(oc rules.Outcome) (choiceCheck, bool) {
	var departs []rules.Assumption
	for _, a := range oc.Assumed {
		if a.Departs() {
			departs = append(departs, a)
		}
	}
	if len(departs) != 1 || len(oc.Unknowns()) > 0 {
		return choiceCheck{}, false
	}
	c := choiceCheck{oc: oc, choice: departs[0], display: departs[0].If}
	switch a := departs[0]; {
	case strings.HasPrefix(a.Match, "source port ") && oc.Sport != 0:
		c.kind = "source port"
	case a.Order != nil && a.Order.Earlier > 0 && a.Order.Earlier <= 8:
		c.kind = "order"
	case a.Rate != nil && a.Rate.PerSecond <= maxBurstRate && a.Rate.Burst <= 200:
		c.kind = "rate"
	default:
		return c, false
	}
	return c, true
}

// confirm probes one choice the way a sender makes it; a rate choice is
// kept for finish, since its burst drains the limit for what follows.
func (o *oracle) confirm(x *query, c choiceCheck) {
	switch c.kind {
	case "source port":
		before := o.counters()
		r := o.lab.ProbeFromPort(o.ctx, x.v6, x.proto, x.q.Src, c.oc.Sport, x.q.Dst, []uint16{c.port}, time.Second)[0]
		o.checkLogs(fmt.Sprintf("%s %s port %d %s", x.q.Family, x.proto, c.port, c.display), x.logs, logKeys(c.oc.Logs), before, o.counters())
		o.judge(c, r)
	case "order":
		o.confirmOrder(x, c)
	case "rate":
		o.bursts = append(o.bursts, c)
	}
}

// confirmOrder sends the earlier probes the choice names from a source
// the host has not seen, to a port whose way puts the source on the
// list, then the probe to judge.
func (o *oracle) confirmOrder(x *query, c choiceCheck) {
	setter, ok := setterPort(x.preds, c.choice.Order.List)
	src, fresh := o.freshSource(x.v6)
	if !ok || !fresh {
		o.tally[choicesLeft]++
		return
	}
	oc, ok := sameOutcome(o.rs.Evaluate(packetOf(x.q, src, c.port), o.env), c.oc)
	if !ok {
		o.tally[choicesLeft]++
		return
	}
	c.oc = oc
	for range c.choice.Order.Earlier {
		o.lab.Probe(o.ctx, x.v6, x.proto, src, x.q.Dst, []uint16{setter}, 200*time.Millisecond)
	}
	before := o.counters()
	r := o.lab.Probe(o.ctx, x.v6, x.proto, src, x.q.Dst, []uint16{c.port}, time.Second)[0]
	o.checkLogs(fmt.Sprintf("%s %s port %d %s", x.q.Family, x.proto, c.port, c.display), x.logs, logKeys(c.oc.Logs), before, o.counters())
	o.judge(c, r)
}

// maxBurstRate is the fastest limit the test drains with a burst: the
// probe to judge must come before the limit lets one more through. The
// burst's probes wait for no answer.
const maxBurstRate = 50

// finish confirms the rate choices: a burst above the limit, and while
// its last packets are in flight, the probe to judge.
func (o *oracle) finish() {
	for _, c := range o.bursts {
		x := c.x
		var stop func()
		if slices.Contains(x.listening, c.port) {
			stop = o.listen(x.proto, []uint16{c.port})
		}
		n := int(c.choice.Rate.Burst) + 5 + int(math.Ceil(c.choice.Rate.PerSecond/5))
		o.lab.Probe(o.ctx, x.v6, x.proto, x.q.Src, x.q.Dst, slices.Repeat([]uint16{c.port}, n), 2*time.Millisecond)
		// One packet, right after the burst: a second attempt would
		// find the limit refilled.
		r := o.lab.ProbeOnce(o.ctx, x.v6, x.proto, x.q.Src, x.q.Dst, c.port, sandbox.DefaultTimeout)
		if stop != nil {
			stop()
		}
		o.judge(c, r)
	}
	o.bursts = nil
}

// judge compares what a choice's probe saw with its outcome.
func (o *oracle) judge(c choiceCheck, r sandbox.Result) {
	want, certain := c.x.want(c.res, &c.oc, c.port)
	switch {
	case !certain:
		o.tally[choicesLeft]++
	case r.State == want:
		o.tally[choicesAgreed]++
	default:
		o.tally[choicesDisagreed]++
		o.t.Errorf("%s %s port %d %s: predicted %s (%s by %s), kernel says %s", c.x.q.Family, c.x.proto, c.port, c.display,
			want, c.oc.Verdict, c.oc.Decider.Text, r)
	}
}

// setterPort is a port whose default probe puts its source on a recent
// list.
func setterPort(preds []rules.PortPrediction, list string) (uint16, bool) {
	for _, p := range preds {
		for _, s := range p.Result.Default().Path {
			if s.Action == "recent set "+list {
				return p.From, true
			}
		}
	}
	return 0, false
}

// freshSource is a prober address no probe has used yet.
func (o *oracle) freshSource(v6 bool) (netip.Addr, bool) {
	for _, p := range o.lab.ProberAddrs[2:] {
		if a := p.Addr(); a.Is6() == v6 && a != spareSource(o.lab, v6) && !o.used[a] {
			o.used[a] = true
			return a, true
		}
	}
	return netip.Addr{}, false
}

// sameOutcome finds, among res's outcomes, the one that the same choices
// lead to as want.
func sameOutcome(res rules.Result, want rules.Outcome) (rules.Outcome, bool) {
	for _, oc := range res.Outcomes {
		if slices.Equal(oc.Conditions(), want.Conditions()) && len(oc.Unknowns()) == 0 {
			return oc, true
		}
	}
	return rules.Outcome{}, false
}

func packetOf(q rules.Query, src netip.Addr, port uint16) rules.Packet {
	return rules.Packet{Family: q.Family, Proto: q.Proto, Src: src, Dst: q.Dst, Sport: q.Sport, Dport: port, InIface: q.InIface}
}

func portList(ports []uint16) string {
	if len(ports) > 6 {
		return fmt.Sprintf("%v... (%d)", ports[:6], len(ports))
	}
	return fmt.Sprint(ports)
}
