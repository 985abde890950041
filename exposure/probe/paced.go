package probe

import (
	"context"
	"math"
	"time"
)

// settle re-probes the suspects of every rate-limited region at the rate
// its answers allow, until all are settled or RateLimitWait is over;
// suspects left are Unknown (rate-limited).
func (e *engine) settle(ctx context.Context) {
	if len(e.regions) == 0 || e.cfg.rateLimitWait < 0 {
		return
	}
	e.phase = phaseSlow
	now := time.Now()
	end := now.Add(e.cfg.rateLimitWait)
	for _, r := range e.regions {
		r.bucket.begin(now)
	}
	for {
		r, at := e.nextRegion()
		if r == nil || at.After(end) {
			return
		}
		if !e.listen(ctx, at) || !e.round(ctx, r) {
			return
		}
	}
}

// nextRegion is the region with suspects whose limit fills first.
func (e *engine) nextRegion() (*region, time.Time) {
	var best *region
	var at time.Time
	for _, r := range e.regions {
		if r.suspects() == 0 {
			continue
		}
		t := r.bucket.readyAt(r.bucket.want(len(r.inner)))
		if best == nil || t.Before(at) {
			best, at = r, t
		}
	}
	return best, at
}

// burst is one round's probes in send order: outer suspects, suspects
// not proven yet, fresh inner suspects, and last, when no fresh suspect
// is left to follow them, answered ports (canaries) whose answers prove
// the limit had room.
type burst struct {
	probes  []int32
	at      []time.Duration // when each went, since the burst began
	failed  []bool          // the send failed on the prober: nothing is proven
	inner   int             // index of the first fresh inner suspect
	canary  int             // index of the first canary; len(probes) without
	budget  int             // fresh inner probes the model gave tokens for
	started time.Time
	// suspectAnswered: a suspect answered like the region (and spent a
	// token the fresh ones may then have lacked); canaryMissed: a canary
	// did not answer.
	suspectAnswered, canaryMissed bool
}

func (b *burst) isCanary(j int) bool { return j >= b.canary }

func (e *engine) round(ctx context.Context, r *region) bool {
	now := time.Now()
	had := r.bucket.tokens(now)
	b := e.takeBurst(r, had)
	e.sendPaced(&b, e.nextSource())
	sent := time.Now()
	ok := e.listen(ctx, sent.Add(e.rtt.timeout()))
	e.stopWaiting(b.probes[:b.canary])
	answers, drained := e.settleBurst(r, &b)
	r.bucket.spent(sent, had, answers, drained)
	r.quiet, r.missed = quietAfter(r.quiet, &b), r.missed || b.canaryMissed
	if r.quiet > 1 {
		r.bucket.grow() // the canaries found room after the silent suspects
	}
	return ok
}

// maxQuiet bounds the growth of a quiet region's bursts: each quiet
// burst in a row takes four times as many fresh suspects, up to maxOuter.
const maxQuiet = 5

// quietAfter counts a burst whose suspects, fresh inner ones among them
// and given tokens, all stayed silent: one more in a row when the
// canaries then answered (the limit had room: the silence is the
// ports'), the first such burst when none followed (the next brings
// canaries to tell), none when a suspect answered or a canary did not.
func quietAfter(quiet int, b *burst) int {
	switch {
	case b.canary == b.inner || b.budget < 1 || b.suspectAnswered || b.canaryMissed:
		return 0
	case b.canary == len(b.probes):
		return max(quiet, 1)
	}
	return min(quiet+1, maxQuiet)
}

// takeBurst takes the outer and unproven suspects (up to maxOuter each;
// silent, they cost the limit no token), fresh inner suspects for the
// tokens expected and one more (none more for a range the rules state:
// no answer is lost there; four times as many for each quiet burst in a
// row), and the canaries when the fresh suspects run out or the region
// is quiet.
func (e *engine) takeBurst(r *region, tokens float64) burst {
	var b burst
	b.probes, r.outer = takeUpTo(b.probes, r.outer, maxOuter)
	b.probes, r.doubt = takeUpTo(b.probes, r.doubt, maxOuter)
	b.inner, b.budget = len(b.probes), int(tokens)
	k := int(math.Ceil(tokens)) + 1
	if r.stated {
		k = max(b.budget, 1)
	}
	k = min(k<<(2*r.quiet), max(k, maxOuter))
	b.probes, r.inner = takeUpTo(b.probes, r.inner, k)
	b.canary = len(b.probes)
	if len(r.inner) == 0 || r.quiet > 0 {
		b.probes = append(b.probes, r.canaries...)
	}
	return b
}

// takeUpTo moves up to n entries from the front of q to b.
func takeUpTo(b, q []int32, n int) ([]int32, []int32) {
	n = min(n, len(q))
	return append(b, q[:n]...), q[n:]
}

// nextSource is the source whose turn it is to send a burst. A burst
// goes from one source: the answers that prove its silences must come
// from the limit its probes met, and a kernel keeps one ICMP limit per
// address. The region's bucket models the sources' limits together, as
// they take turns.
func (e *engine) nextSource() int {
	s, ok := e.t.(sourced)
	if !ok {
		return 0
	}
	e.turn = (e.turn + 1) % s.sources()
	return e.turn
}

// sendFrom sends a probe to port from source n.
func (e *engine) sendFrom(n int, port uint16) error {
	if s, ok := e.t.(sourced); ok {
		return s.sendFrom(n, port)
	}
	return e.t.send(port)
}

// sendPaced sends a burst back to back from source src: a probe's
// silence is proven by answers to later ones only if the limit refilled
// less meanwhile.
func (e *engine) sendPaced(b *burst, src int) {
	b.failed, b.at = make([]bool, len(b.probes)), make([]time.Duration, len(b.probes))
	b.started = time.Now()
	for j, i := range b.probes {
		before := time.Now()
		b.at[j] = before.Sub(b.started)
		if err := e.sendFrom(src, e.ports[i]); err != nil {
			e.stats.LocalErrors++
			b.failed[j] = true
			continue
		}
		e.stats.SlowProbes++
		if b.isCanary(j) {
			e.st[i].canaryOut++
			continue
		}
		e.launched(i, before)
	}
}

// settleBurst decides a burst's probes. A limit answers in order while it
// has tokens: a silent probe followed by more answers of its range than
// the limit can have refilled for in between had a token, and is proven
// silent (stealth). Silent probes not proven so go back to the queue.
// Answers outside the answered span widen the region.
func (e *engine) settleBurst(r *region, b *burst) (answers int, drained bool) {
	ans := make([]bool, len(b.probes))
	for j, i := range b.probes {
		if b.isCanary(j) {
			// A limit answers in order: n answers to a port sent twice
			// are its first n sends.
			if ans[j] = e.st[i].canaryBack > 0; ans[j] {
				e.st[i].canaryBack--
			}
		} else {
			ans[j] = e.answeredLike(r, i)
			b.suspectAnswered = b.suspectAnswered || ans[j]
			if ans[j] {
				r.heldBack++
			}
		}
		if ans[j] {
			answers++
		}
	}
	proven := e.proofs(r, b, ans)
	var back []int32
	for j, i := range b.probes {
		switch {
		case b.isCanary(j):
			e.st[i].canaryOut, e.st[i].canaryBack = 0, 0
			b.canaryMissed = b.canaryMissed || !ans[j]
			drained = drained || !ans[j]
		case e.st[i].phase != phaseSuspect:
			e.grow(r, i)
		case proven[j]:
			e.st[i].phase, e.st[i].confirmed = phaseSilent, true
		default:
			back = append(back, i)
			drained = drained || j >= b.inner
		}
	}
	r.doubt = append(r.doubt, back...)
	r.answered += answers
	return answers, drained
}

// proofs marks the silent probes that had a token: later answers (after
// the last one) number at least one more than the tokens the limit can
// have gained since, at up to three times the rate measured. In a range
// the rules state, and before it answered at all, the probes the model
// gave tokens for count as proven.
func (e *engine) proofs(r *region, b *burst, ans []bool) []bool {
	proven := make([]bool, len(b.probes))
	bound := 3 * r.bucket.rate
	later, lastAt := 0, time.Duration(-1)
	for j := len(b.probes) - 1; j >= 0; j-- {
		if ans[j] {
			later++
			if lastAt < 0 {
				lastAt = b.at[j]
			}
			continue
		}
		refill := bound * (lastAt - b.at[j]).Seconds()
		proven[j] = later > 0 && !b.failed[j] && float64(later) >= 1+refill
	}
	if r.stated && len(r.canaries) == 0 {
		for j := range min(b.inner+b.budget, len(proven)) {
			proven[j] = !b.failed[j]
		}
	}
	return proven
}

// answeredLike: suspect i answered this burst the way its region's
// ports do (the first answer of a stated range sets that way).
func (e *engine) answeredLike(r *region, i int32) bool {
	res := e.res[i]
	if e.st[i].phase != phaseDone || (res.State != Closed && res.State != Rejected) {
		return false
	}
	if len(r.canaries) == 0 {
		r.shape = shapeOf(res)
	}
	if shapeOf(res) != r.shape {
		return false
	}
	if len(r.canaries) < 2 {
		r.canaries = append(r.canaries, i)
	}
	return true
}

// grow widens the region around an answer of its shape outside its span.
func (e *engine) grow(r *region, i int32) {
	p := e.ports[i]
	if r.stated || shapeOf(e.res[i]) != r.shape || (p >= r.ansLo && p <= r.ansHi) {
		return
	}
	r.ansLo, r.ansHi = min(r.ansLo, p), max(r.ansHi, p)
	lo, hi := clampPort(int(r.ansLo)-r.ext), clampPort(int(r.ansHi)+r.ext)
	if lo < r.lo {
		e.claim(r, lo, r.lo-1)
	}
	if hi > r.hi {
		e.claim(r, r.hi+1, hi)
	}
	r.lo, r.hi = min(r.lo, lo), max(r.hi, hi)
}

func (e *engine) stopWaiting(b []int32) {
	for _, i := range b {
		if e.st[i].phase == phaseFlying {
			e.land(i)
			e.t.expire(e.ports[i])
			e.st[i].phase = phaseSuspect
		}
	}
}

// listen takes answers until end; false when ctx ended first.
func (e *engine) listen(ctx context.Context, end time.Time) bool {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		e.tick(now)
		if !now.Before(end) {
			return true
		}
		if !e.wait(ctx, timer, min(end.Sub(now), progressEvery)) {
			return false
		}
	}
}
