package probe

import (
	"math"
	"time"
)

func (e *engine) finish() {
	if e.countersOK {
		if c, err := e.cfg.counters(); err == nil {
			e.stats.TargetRateLimited = int64(c - e.counters0)
		}
	}
	for i := range e.res {
		e.res[i] = e.final(i)
	}
	e.stats.Backoffs, e.stats.PeakRate, e.stats.FinalRate = e.pace.backoffs, e.pace.peak, e.pace.rate
	e.stats.SRTT, e.stats.Timeout = e.rtt.srtt, e.rtt.timeout()
	e.stats.ConntrackFree, e.stats.ConntrackWait = e.ct.free0, e.ct.total(time.Now())
	for _, r := range e.regions {
		if r.cleared() {
			e.stats.Cleared = append(e.stats.Cleared, e.limitedRange(r))
		} else {
			e.stats.RateLimited = append(e.stats.RateLimited, e.limitedRange(r))
		}
	}
}

func (e *engine) limitedRange(r *region) LimitedRange {
	return LimitedRange{From: r.ansLo, To: r.ansHi, State: r.shape.state, Reason: r.shape.reason,
		PerSecond: math.Round(r.bucket.rate*10) / 10, Stated: r.stated, Answered: r.answered,
		Unsettled: len(r.inner) + len(r.outer)}
}

// final is a port's result. Silence is stealth only once the run weighed
// it: a port silent in a rate-limited range, or when the run stopped
// early, is unknown.
func (e *engine) final(i int) Result {
	s := e.st[i]
	r := e.res[i]
	switch {
	case s.phase == phaseDone:
	case e.noNeighbor:
		r = Result{State: Unknown, Reason: ReasonNoNeighbor}
	case s.phase == phaseSilent && e.analysed:
		r = e.silentResult()
	case s.phase == phaseSuspect || s.phase == phaseHeld:
		r = Result{State: Unknown, Reason: ReasonRateLimited,
			Error: "silent in a range whose answers are rate-limited; not settled within the rate-limit wait"}
	case e.abortErr != nil:
		r = Result{State: Unknown, Reason: ReasonLocalError, Error: e.abortErr.Error()}
	default:
		r = Result{State: Unknown, Reason: ReasonInterrupted}
	}
	r.Proto, r.Port, r.Tries = e.cfg.proto, e.ports[i], int(s.tries)
	return r
}

func (e *engine) silentResult() Result {
	r := Result{State: Stealth, Reason: ReasonNoResponse}
	if e.cfg.proto == "udp" {
		r.Doubt = DoubtOpenFiltered
	}
	return r
}
