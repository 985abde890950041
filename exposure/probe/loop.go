package probe

import (
	"context"
	"time"
)

// loop sends, expires and takes answers until done() holds; false when ctx
// ended first.
func (e *engine) loop(ctx context.Context, done func() bool) bool {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		e.checkDrops(now)
		e.expire(now)
		e.sendBurst(now)
		e.tick(now)
		if done() {
			return true
		}
		if !e.wait(ctx, timer, e.nextWake(time.Now())) {
			return false
		}
	}
}

// wait takes answers for up to d.
func (e *engine) wait(ctx context.Context, timer *time.Timer, d time.Duration) bool {
	if d <= 0 {
		e.drain()
		return ctx.Err() == nil
	}
	timer.Reset(d)
	select {
	case a := <-e.t.answers():
		e.handle(a)
		e.drain()
	case <-timer.C:
	case <-ctx.Done():
		return false
	}
	return true
}

func (e *engine) drain() {
	for range 4096 {
		select {
		case a := <-e.t.answers():
			e.handle(a)
		default:
			return
		}
	}
}

// nextWake is when the loop has something to do: the oldest probe's
// timeout, the next send the rate allows, the next progress report.
func (e *engine) nextWake(now time.Time) time.Duration {
	d := progressEvery
	if f, ok := e.oldestFlight(); ok {
		d = min(d, e.start.Add(f.sent+e.rtt.timeout()).Sub(now))
	}
	if e.canSend() {
		if waiting, next := e.ct.waiting(now); waiting {
			d = min(d, next)
		} else {
			d = min(d, e.pace.wait(now))
		}
	}
	return d
}

func (e *engine) canSend() bool {
	return e.inFlight < e.cfg.window && (e.fresh < len(e.order) || len(e.retry) > 0)
}

func (e *engine) oldestFlight() (flight, bool) {
	for e.head < len(e.flights) {
		f := e.flights[e.head]
		if s := e.st[f.i]; s.phase == phaseFlying && s.sent == f.sent {
			return f, true
		}
		e.head++
	}
	e.flights, e.head = e.flights[:0], 0
	return flight{}, false
}

func (e *engine) sendBurst(now time.Time) {
	n := min(e.pace.allow(now), sendChunk, e.cfg.window-e.inFlight, e.ctRoom(now))
	batch := e.batch[:0]
	for len(batch) < n {
		i, ok := e.pick()
		if !ok {
			break
		}
		batch = append(batch, i)
	}
	if len(batch) == 0 {
		return
	}
	e.batch, e.batchPorts = batch, e.batchPorts[:0]
	for _, i := range batch {
		e.batchPorts = append(e.batchPorts, e.ports[i])
	}
	before := time.Now() // on a veth the answer may come before send returns
	sent, err := sendAll(e.t, e.batchPorts)
	e.ct.spend(sent)
	for k, i := range batch {
		switch {
		case k < sent:
			e.pace.spend()
			e.launched(i, before)
		case k == sent:
			e.localFailure(i, err, time.Now())
		default: // not sent: back in the queue
			e.st[i].phase = phaseWaiting
			e.retry = append(e.retry, i)
		}
	}
}

// ctRoom is how many probes the prober's conntrack table takes now. A run
// whose sends waited in vain for room gives up on the ports it has not
// settled: they are unknown (local-error).
func (e *engine) ctRoom(now time.Time) int {
	if !e.canSend() {
		e.ct.track(now, false) // nothing waits: no need to read the table
		return 0
	}
	room := e.ct.room(now)
	e.ct.track(now, room == 0)
	if err := e.ct.stuck(now); err != nil {
		e.abortErr = err
		return 0
	}
	return room
}

// pick returns the next port to send: fresh ports first, so a retry waits
// at least as long as the first pass takes.
func (e *engine) pick() (int32, bool) {
	if e.fresh < len(e.order) {
		e.fresh++
		return e.order[e.fresh-1], true
	}
	for len(e.retry) > 0 {
		i := e.retry[0]
		e.retry = e.retry[1:]
		if e.st[i].phase == phaseWaiting {
			return i, true
		}
	}
	return 0, false
}

func (e *engine) launched(i int32, now time.Time) {
	s := &e.st[i]
	if s.tries > 0 {
		e.stats.Retried++
	}
	s.tries++
	s.sent, s.phase = now.Sub(e.start), phaseFlying
	e.inFlight++
	e.flights = append(e.flights, flight{i, s.sent})
	e.stats.Sent++
	e.localStreak = 0
}

// expire ends the wait of every probe older than the timeout.
func (e *engine) expire(now time.Time) {
	to := e.rtt.timeout()
	for {
		f, ok := e.oldestFlight()
		if !ok || now.Sub(e.start)-f.sent < to {
			return
		}
		e.head++
		e.land(f.i)
		e.t.expire(e.ports[f.i])
		e.silentTry(f.i)
	}
}

func (e *engine) land(i int32) {
	if e.st[i].phase == phaseFlying {
		e.inFlight--
	}
}

func (e *engine) silentTry(i int32) {
	s := &e.st[i]
	if int(s.tries) < e.maxTries {
		s.phase = phaseWaiting
		e.retry = append(e.retry, i)
		return
	}
	s.phase = phaseSilent
}

func (e *engine) tick(now time.Time) {
	if e.cfg.progress == nil || now.Sub(e.lastTick) < progressEvery {
		return
	}
	e.lastTick = now
	e.cfg.progress(e.progress(now))
}

func (e *engine) progress(now time.Time) Progress {
	p := Progress{Proto: e.cfg.proto, Total: len(e.ports), Probed: e.fresh, Sent: e.stats.Sent, Elapsed: now.Sub(e.start), Phase: e.phase}
	for i, s := range e.st {
		if s.phase == phaseDone || s.phase == phaseSilent {
			p.Done++
		}
		if s.phase == phaseDone && e.res[i].State == Open {
			p.Open++
		}
	}
	return p
}
