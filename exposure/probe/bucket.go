package probe

import "time"

// tokenBucket is the prober's model of a limit in front of a range's
// answers: it refills at rate answers a second, up to burst (0: not
// known). The model only schedules bursts; whether a silence is proven
// never rests on it (see settleBurst).
type tokenBucket struct {
	rate, burst float64
	stated      bool      // the rules gave the rate: it never grows
	carry       float64   // tokens left after the last burst
	last        time.Time // when the last burst went
	// window is when the limit was last seen empty, and windowAns the
	// answers since: the refill rate measured.
	window    time.Time
	windowAns int
}

// Bounds of the measured rate.
const (
	minPacedRate = 0.2 // answers a second
	maxPacedRate = 1e6
	roundSpan    = 250 * time.Millisecond // the tokens one burst aims to use
	paceGrowth   = 1.5                    // when a burst used all the tokens it expected and more came
)

func newTokenBucket(rate, burst float64) *tokenBucket {
	return &tokenBucket{rate: min(max(rate, minPacedRate), maxPacedRate), burst: burst, carry: burst}
}

func (b *tokenBucket) begin(now time.Time) { b.last = now }

// tokens is how many answers the limit holds at now.
func (b *tokenBucket) tokens(now time.Time) float64 {
	t := b.carry + now.Sub(b.last).Seconds()*b.rate
	if b.burst > 0 {
		t = min(t, b.burst)
	}
	return t
}

// readyAt is when the limit holds want tokens.
func (b *tokenBucket) readyAt(want float64) time.Time {
	if b.carry >= want {
		return b.last
	}
	return b.last.Add(time.Duration((want - b.carry) / b.rate * float64(time.Second)))
}

// want is how many tokens a burst waits for: a quarter second's worth,
// no more than the suspects left (and two proving answers) need, and at
// least two (a silence is proven by two answers after it).
func (b *tokenBucket) want(suspects int) float64 {
	w := min(float64(suspects)+2, max(2, b.rate*roundSpan.Seconds()))
	if b.burst > 0 {
		w = min(w, b.burst)
	}
	return w
}

// grow raises a measured rate: answers came where the model expected
// none to spare.
func (b *tokenBucket) grow() {
	if !b.stated {
		b.rate = min(b.rate*paceGrowth, maxPacedRate)
	}
}

// spent updates the model after a burst whose last probe went at sent
// (the limit may have refilled while it went: counting from its end
// errs on the safe side), when it expected had tokens and drew answers;
// drained says the limit ran dry in it.
func (b *tokenBucket) spent(sent time.Time, had float64, answers int, drained bool) {
	defer func() { b.last = sent }()
	if !drained {
		b.carry, b.window = max(0, had-float64(answers)), time.Time{}
		if float64(answers) >= had {
			b.grow()
		}
		return
	}
	b.carry = 0
	if b.window.IsZero() {
		b.window, b.windowAns = sent, 0
		return
	}
	b.windowAns += answers
	if d := sent.Sub(b.window).Seconds(); d > 0 {
		// No answer yet over d says the rate is below 1/d, not that it
		// is nil: taking half that, the wait grows with the silence
		// instead of jumping to the slowest rate after one short round.
		b.rate = min(max(max(float64(b.windowAns), 0.5)/d, minPacedRate), maxPacedRate)
	}
}
