package probe

func (e *engine) finish() {
	if e.countersKnown {
		if c, err := e.cfg.counters(); err == nil {
			e.stats.TargetRateLimited = int64(c - e.counters0)
		}
	}
	for i := range e.res {
		e.res[i] = e.final(i)
	}
	e.stats.Backoffs, e.stats.PeakRate, e.stats.FinalRate = e.pace.backoffs, e.pace.peak, e.pace.rate
	e.stats.SRTT, e.stats.Timeout = e.rtt.srtt, e.rtt.timeout()
}

func (e *engine) final(i int) Result {
	s := e.st[i]
	r := e.res[i]
	switch s.phase {
	case phaseDone:
	case phaseSilent:
		r = e.silentResult()
	case phaseUnconfirmed:
		r = Result{State: Unknown, Reason: ReasonRateLimited,
			Error: "silent while the target's ICMP rate limit was hit; not confirmed within the wait"}
	default:
		r = Result{State: Unknown, Reason: ReasonInterrupted}
		if e.abortErr != nil {
			r.Reason, r.Error = ReasonLocalError, e.abortErr.Error()
		}
	}
	r.Proto, r.Port, r.Tries = e.cfg.proto, e.ports[i], int(s.tries)
	return r
}

func (e *engine) silentResult() Result {
	r := Result{State: Stealth, Reason: ReasonNoResponse}
	if e.noNeighbor {
		r.Reason = ReasonNoNeighbor
	}
	if e.cfg.proto == "udp" && !e.noNeighbor {
		r.Doubt = DoubtOpenFiltered
	}
	return r
}
