package probe

import "time"

// rttEstimator turns measured round trips into the time to wait for an
// answer, the way TCP does (RFC 6298): smoothed RTT plus four deviations,
// within [min, max]. Only ports probed once give samples (Karn): the
// answer to a retried port may belong to either try.
type rttEstimator struct {
	srtt, rttvar  time.Duration
	samples       int
	initial       time.Duration
	lower, higher time.Duration
}

func newRTTEstimator(initial, lower, higher time.Duration) rttEstimator {
	return rttEstimator{initial: initial, lower: lower, higher: higher}
}

func (e *rttEstimator) sample(r time.Duration) {
	if r <= 0 {
		return
	}
	if e.samples == 0 {
		e.srtt, e.rttvar = r, r/2
	} else {
		e.rttvar = (3*e.rttvar + (e.srtt - r).Abs()) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.samples++
}

// timeout is how long a silent port waits before it is retried or called
// silent.
func (e *rttEstimator) timeout() time.Duration {
	if e.samples == 0 {
		return e.initial
	}
	return min(max(e.srtt+4*e.rttvar, e.lower), e.higher)
}
