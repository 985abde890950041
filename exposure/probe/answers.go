package probe

import "time"

// lossOutside: replies that are no ICMP error went missing outside the
// rate-limited ranges (a port answered only a retry), or the receive
// queue overflowed. Inside those ranges the limit explains it.
func (e *engine) lossOutside() bool {
	if e.stats.ReceiveDrops > 0 {
		return true
	}
	for i, s := range e.st {
		if s.retryAns && !e.res[i].icmp() && e.regionOf(e.ports[i]) == nil {
			return true
		}
	}
	return false
}

// retryAnswered counts a port of the fast pass that answered only a retry.
// A missing RST or SYN/ACK means packets were lost, or a limit held them
// back: slow down either way. A missing ICMP error is more likely the
// target's ICMP rate limit, which no rate of ours avoids.
func (e *engine) retryAnswered(i int32, a answer) {
	e.stats.AnsweredOnRetry++
	e.st[i].retryAns = true
	if !a.icmp {
		e.pace.loss(a.at)
	}
}

// handle takes one answer from the transport.
func (e *engine) handle(a answer) {
	i := e.index[a.port]
	if i >= 0 && e.st[i].canaryBack < e.st[i].canaryOut && a.local == nil && shapeOf(Result{State: a.state, Reason: a.reason, From: a.from}) == shapeOf(e.res[i]) {
		e.st[i].canaryBack++
		return
	}
	if i < 0 || e.st[i].phase == phaseDone || e.st[i].tries == 0 {
		return // not ours, already decided, or never asked
	}
	if a.local != nil {
		e.localFailure(i, a.local, a.at)
		return
	}
	e.answered(i, a)
}

// answered records a validated answer: the port is decided.
func (e *engine) answered(i int32, a answer) {
	s := &e.st[i]
	rtt := a.at.Sub(e.start) - s.sent
	if s.phase != phaseFlying {
		e.stats.Late++
	}
	if s.tries == 1 || e.phase == phaseSlow {
		// paced probes are spaced by more than a timeout: unambiguous
		e.rtt.sample(rtt)
	}
	switch {
	case a.reason == ReasonNoNeighbor: // our own kernel, after its ARP or ND timeout
		e.noNeighbor = true
	case s.tries > 1 && e.phase == phaseFast:
		e.retryAnswered(i, a)
	}
	e.land(i)
	s.phase = phaseDone
	e.stats.Answered++
	e.res[i] = Result{State: a.state, Reason: a.reason, From: a.from, TTL: a.ttl, RTT: max(rtt, 0), Error: a.detail}
}

// localFailure retries a port whose probe failed on the prober, pausing all
// sends and shrinking the window: the usual causes (no free port or file,
// no buffer) are shared.
func (e *engine) localFailure(i int32, err error, now time.Time) {
	s := &e.st[i]
	if s.phase == phaseFlying {
		e.land(i)
		s.tries--
	}
	s.localErrs++
	e.stats.LocalErrors++
	e.localStreak++
	e.cfg.window = max(minWindow, min(e.cfg.window, e.inFlight-e.inFlight/4))
	if e.localStreak >= abortAfterLocal {
		e.abortErr = err
	}
	if int(s.localErrs) >= maxLocalErrors || e.abortErr != nil {
		s.phase = phaseDone
		e.res[i] = Result{State: Unknown, Reason: ReasonLocalError, Error: err.Error()}
		return
	}
	s.phase = phaseWaiting
	e.retry = append(e.retry, i)
	e.pace.pause(now, localBackoff<<min(s.localErrs-1, 5))
}

func (e *engine) checkDrops(now time.Time) {
	if d := e.t.drops(); d > e.seenDrops {
		e.seenDrops = d
		e.stats.ReceiveDrops = d
		e.pace.loss(now)
	}
}
