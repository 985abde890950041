package probe

import (
	"context"
	"time"
)

// Linux's default global ICMP limit (icmp_msgs_per_sec, icmp_msgs_burst):
// a target that sent more ICMP errors than it allows has no default limit
// in the way.
const (
	defaultICMPPerSec = 1000
	defaultICMPBurst  = 50
	spotSamples       = 6
)

// rateLimitPhase decides whether silent ports may hide answers the target's
// ICMP rate limit held back, and re-probes them slowly if so:
//   - with the target's counters: when they moved during the run;
//   - without: when a port answered with ICMP only a retry, or when ICMP
//     errors came back fewer than the default limit allows and a slow spot
//     check of a few silent ports (neighbours of ICMP-answered ones first)
//     draws an answer.
func (e *engine) rateLimitPhase(ctx context.Context) {
	switch {
	case e.countersKnown:
		if e.rateLimitHint() {
			e.slow(ctx, e.takeSilent())
		}
	case e.icmpOnRetry > 0:
		e.slow(ctx, e.takeSilent())
	case e.icmpSuspect():
		if e.slow(ctx, e.spotSample(spotSamples)) > 0 {
			e.slow(ctx, e.takeSilent())
		}
	}
}

func (e *engine) icmpSuspect() bool {
	allowed := defaultICMPBurst + defaultICMPPerSec*e.fastTook.Seconds()
	return e.icmpAnswers > 0 && float64(e.icmpAnswers) <= allowed
}

// slow re-probes queue a few ports at a time and returns how many
// answered. With the target's counters, a batch that left them unchanged
// confirms its silent ports, and one that moved them goes back in the
// queue after a pause for the limit's bucket to refill. Without them, one
// port a second stays under every default limit (Linux: one a second per
// peer after a burst of six), so its silence stands. Ports not confirmed
// within the wait are unconfirmed.
func (e *engine) slow(ctx context.Context, queue []int32) int {
	e.phase = phaseSlow
	if e.slowEnd.IsZero() {
		e.slowEnd = time.Now().Add(e.cfg.rateLimitWait)
	}
	answered := 0
	batch, pause := 1, slowPauseMin
	for len(queue) > 0 && time.Now().Before(e.slowEnd) {
		n := min(batch, len(queue))
		b := append([]int32(nil), queue[:n]...)
		queue = queue[n:]
		moved, ok := e.slowBatch(ctx, b)
		silent := e.unanswered(b)
		answered += len(b) - len(silent)
		if !ok {
			return answered // interrupted: the queue stays undecided
		}
		if !moved {
			e.confirm(silent)
			batch, pause = e.nextBatch(batch), slowPauseMin
			continue
		}
		queue = append(queue, silent...)
		batch = max(1, batch/2)
		if !e.listen(ctx, time.Now().Add(pause)) {
			return answered
		}
		pause = min(2*pause, slowPauseMax)
	}
	for _, i := range queue {
		e.st[i].phase = phaseUnconfirmed
	}
	return answered
}

func (e *engine) nextBatch(b int) int {
	if !e.countersKnown {
		return 1
	}
	return min(2*b, slowBatchMax)
}

// takeSilent queues the silent ports not confirmed yet.
func (e *engine) takeSilent() []int32 {
	var q []int32
	for i := range e.st {
		if s := &e.st[i]; s.phase == phaseSilent && !s.confirmed {
			s.phase = phaseWaiting
			q = append(q, int32(i))
		}
	}
	return q
}

// spotSample picks up to n silent ports: first those probed right after a
// port that answered with ICMP (a REJECT rule covers ranges, and the
// answers a drained bucket held back are the ones that came next), then
// ports spread evenly over the rest.
func (e *engine) spotSample(n int) []int32 {
	var q []int32
	take := func(i int) {
		if len(q) < n && i >= 0 && i < len(e.st) && e.st[i].phase == phaseSilent {
			e.st[i].phase = phaseWaiting
			q = append(q, int32(i))
		}
	}
	for i := range e.st {
		if e.st[i].icmp {
			take(i + 1)
			take(i - 1)
		}
	}
	step := max(1, len(e.st)/n)
	for i := 0; i < len(e.st) && len(q) < n; i += step {
		take(i)
	}
	return q
}

// slowBatch probes b once and waits one timeout; moved reports whether the
// target's counters moved meanwhile (always false without counters, whose
// pace is the guard instead); ok is false when ctx ended.
func (e *engine) slowBatch(ctx context.Context, b []int32) (moved, ok bool) {
	var c0 uint64
	var err0 error
	if e.countersKnown {
		c0, err0 = e.cfg.counters()
	}
	if !e.countersKnown && !e.pacedWait(ctx, len(b)) {
		return false, false
	}
	for _, i := range b {
		before := time.Now()
		if err := e.t.send(e.ports[i]); err != nil {
			e.stats.LocalErrors++
			continue
		}
		e.launched(i, before)
		e.stats.SlowProbes++
	}
	ok = e.listen(ctx, time.Now().Add(e.rtt.timeout()))
	e.stopWaiting(b)
	if !e.countersKnown {
		return false, ok
	}
	c1, err1 := e.cfg.counters()
	return err0 != nil || err1 != nil || c1 != c0, ok
}

func (e *engine) stopWaiting(b []int32) {
	for _, i := range b {
		if e.st[i].phase == phaseFlying {
			e.land(i)
			e.t.expire(e.ports[i])
			e.st[i].phase = phaseWaiting
		}
	}
}

func (e *engine) unanswered(b []int32) []int32 {
	var out []int32
	for _, i := range b {
		if e.st[i].phase != phaseDone {
			out = append(out, i)
		}
	}
	return out
}

func (e *engine) confirm(b []int32) {
	for _, i := range b {
		e.st[i].phase, e.st[i].confirmed = phaseSilent, true
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

// pacedWait keeps slow probes without counters a slowPace apart, counting
// from now for the first: the fast phase may just have drained the
// target's bucket.
func (e *engine) pacedWait(ctx context.Context, n int) bool {
	if e.slowNext.IsZero() {
		e.slowNext = time.Now().Add(e.cfg.slowPace)
	}
	ok := e.listen(ctx, e.slowNext)
	e.slowNext = time.Now().Add(e.cfg.slowPace * time.Duration(n))
	return ok
}
