package probe

import (
	"net/netip"
	"slices"
	"time"
)

// shape is what a rule's answer looks like; the ports one rule answers
// share it.
type shape struct {
	state  State
	reason string
	from   netip.Addr
}

func shapeOf(r Result) shape { return shape{r.State, r.Reason, r.From} }

// region is a port range whose answers look rate-limited: ports that
// answered alike with silent ports between them, or that answered only a
// retry. Its silent ports are suspects, settled by the paced phase.
type region struct {
	shape    shape
	lo, hi   uint16       // the ports it covers
	ansLo    uint16       // the span of its answered ports: a suspect inside
	ansHi    uint16       // it very likely shares their rule
	ext      int          // how far the range may reach past its answers
	canaries []int32      // answered positions, to prove silences when no suspect is left to
	inner    []int32      // suspects inside the answered span, not probed yet here
	outer    []int32      // suspects outside it, farthest first
	doubt    []int32      // suspects probed here whose silence is not proven yet
	bucket   *tokenBucket // shared by the ranges of one stated limit
	answered int          // answers during the paced phase
	stated   bool         // from Options.Paced: the rules state the limit
	// quiet counts the bursts in a row whose fresh inner suspects all
	// stayed silent though the limit had room: they do not share the
	// limited rule (two rejected ports far apart on a drop host), so the
	// bursts take more of them, canaries prove them, and silence costs
	// no token.
	quiet int
	// heldBack counts suspects that answered in the paced phase, and
	// missed is set when a canary did not: what shows a limit.
	heldBack int
	missed   bool
}

// Clustering of answered ports: a range reaches ext ports beyond its
// answers, ext eight mean gaps between them (few answers place a range loosely), within these bounds.
const (
	minExt   = 16
	maxExt   = 2048
	extGaps  = 8
	maxOuter = 1024 // outer suspects in one burst
)

// findRegions groups the answered ports by shape, splits each group where
// its ports lie far apart, and keeps the clusters that show a sign of a
// rate limit; their silent ports become suspects.
func (e *engine) findRegions() []*region {
	for _, r := range e.regions { // a second look after more retries
		e.release(r)
	}
	var out []*region
	for sh, ports := range e.answeredByShape() {
		ext := extent(ports)
		for _, c := range split(ports, 2*ext) {
			if r := e.newRegion(sh, c, ext); r != nil {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b *region) int { return int(a.lo) - int(b.lo) })
	return out
}

// answeredByShape lists, per shape, the ports whose answer a limit could
// have held back: RSTs and ICMP errors (a SYN/ACK comes from a listener,
// one port at a time), in port order.
func (e *engine) answeredByShape() map[shape][]uint16 {
	m := map[shape][]uint16{}
	for p := range 65536 {
		i := e.index[p]
		if i < 0 || e.st[i].phase != phaseDone {
			continue
		}
		if r := e.res[i]; r.State == Closed || r.State == Rejected {
			m[shapeOf(r)] = append(m[shapeOf(r)], uint16(p))
		}
	}
	return m
}

// extent is how far a range of these answered ports may reach past them:
// a few mean gaps, as a limit's answers fall at random over its range.
func extent(ports []uint16) int {
	if len(ports) < 2 {
		return minExt
	}
	gap := float64(int(ports[len(ports)-1])-int(ports[0])) / float64(len(ports)-1)
	return min(max(int(extGaps*gap), minExt), maxExt)
}

// split cuts ports where two neighbours lie more than gap apart.
func split(ports []uint16, gap int) [][]uint16 {
	var out [][]uint16
	start := 0
	for i := 1; i <= len(ports); i++ {
		if i == len(ports) || int(ports[i])-int(ports[i-1]) > gap {
			out = append(out, ports[start:i])
			start = i
		}
	}
	return out
}

// newRegion makes a region of cluster c when it shows the sign of a limit:
// silent ports between its answers, at least one for every four answers
// (a limit holds back most of a range's answers; a lone dropped port
// among ports that answer is no such sign). For ICMP errors, silent ports
// near the answers count too: the target's kernel limits them by default
// (Linux: 6 at once, then 1 a second), and a limit emptied before the run
// lets one or two answers of a whole range through.
func (e *engine) newRegion(sh shape, c []uint16, ext int) *region {
	r := &region{shape: sh, ansLo: c[0], ansHi: c[len(c)-1], ext: ext, canaries: e.canariesOf(c)}
	r.lo, r.hi = clampPort(int(r.ansLo)-ext), clampPort(int(r.ansHi)+ext)
	silent := 0
	switch {
	case e.res[e.index[c[0]]].icmp():
		silent = e.silentIn(r.lo, r.hi)
	case len(c) >= 2:
		silent = e.silentIn(r.ansLo, r.ansHi)
	}
	if silent < max(1, len(c)/4) {
		return nil
	}
	e.claim(r, r.lo, r.hi)
	if r.suspects() == 0 {
		return nil
	}
	r.bucket = newTokenBucket(float64(len(c))/max(time.Since(e.start).Seconds(), 0.01), 0)
	return r
}

// canariesOf picks two answered ports of c (its ends), or its one port
// twice: a silence is proven by two answers after it.
func (e *engine) canariesOf(c []uint16) []int32 {
	if len(c) == 1 {
		return []int32{e.index[c[0]], e.index[c[0]]}
	}
	return []int32{e.index[c[0]], e.index[c[len(c)-1]]}
}

func (e *engine) silentIn(lo, hi uint16) int {
	n := 0
	for p := int(lo); p <= int(hi); p++ {
		if i := e.index[p]; i >= 0 && e.st[i].phase == phaseSilent {
			n++
		}
	}
	return n
}

// claim makes the silent ports of lo..hi suspects of r.
func (e *engine) claim(r *region, lo, hi uint16) {
	for p := int(lo); p <= int(hi); p++ {
		i := e.index[p]
		if i < 0 || e.st[i].phase != phaseSilent || e.st[i].confirmed {
			continue
		}
		e.st[i].phase = phaseSuspect
		if uint16(p) > r.ansLo && uint16(p) < r.ansHi {
			r.inner = append(r.inner, i)
		} else {
			r.outer = append(r.outer, i)
		}
	}
	e.sortOuter(r)
}

// sortOuter puts the outer suspects farthest from the answers first: they
// most likely lie outside the range, and a later answer in the same burst
// proves their silence.
func (e *engine) sortOuter(r *region) {
	dist := func(i int32) int {
		p := int(e.ports[i])
		return max(int(r.ansLo)-p, p-int(r.ansHi))
	}
	slices.SortFunc(r.outer, func(a, b int32) int { return dist(b) - dist(a) })
}

// release gives a region's suspects back to the silent ports.
func (e *engine) release(r *region) {
	for _, q := range [][]int32{r.inner, r.outer, r.doubt} {
		for _, i := range q {
			if e.st[i].phase == phaseSuspect {
				e.st[i].phase = phaseSilent
			}
		}
	}
}

// cleared tells whether the paced phase settled a suspected region
// without seeing a limit: every suspect stayed silent while canaries
// answered, so the silent ports between the answers were the ports' own
// (a drop host that rejects two ports far apart).
func (r *region) cleared() bool {
	return !r.stated && r.heldBack == 0 && !r.missed && r.suspects() == 0
}

func (r *region) suspects() int { return len(r.inner) + len(r.outer) + len(r.doubt) }

// regionOf is the region covering port, or nil.
func (e *engine) regionOf(port uint16) *region {
	for _, r := range e.regions {
		if port >= r.lo && port <= r.hi {
			return r
		}
	}
	return nil
}

// pacedRegions are the ranges of Options.Paced: every port in them is a
// suspect from the start, paced at the rate the rules state. Ranges of
// one limit share its bucket: the rule counts their answers together.
func (e *engine) pacedRegions() []*region {
	var out []*region
	buckets := map[string]*tokenBucket{}
	for _, pc := range e.cfg.paced {
		b := buckets[pc.Limit]
		if b == nil || pc.Limit == "" {
			b = newTokenBucket(pc.PerSecond, float64(max(pc.Burst, 1)))
			b.stated, buckets[pc.Limit] = true, b
		}
		r := &region{lo: pc.From, hi: pc.To, ansLo: pc.From, ansHi: pc.To, stated: true, bucket: b}
		for p := int(pc.From); p <= int(pc.To); p++ {
			if i := e.index[p]; i >= 0 && e.st[i].phase == phaseHeld {
				e.st[i].phase = phaseSuspect
				r.inner = append(r.inner, i)
			}
		}
		if len(r.inner) > 0 {
			out = append(out, r)
		}
	}
	return out
}

func inPaces(paced []Pace, port uint16) bool {
	for _, p := range paced {
		if port >= p.From && port <= p.To {
			return true
		}
	}
	return false
}

func clampPort(p int) uint16 { return uint16(min(max(p, 1), 65535)) }
