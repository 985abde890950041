package probe

import (
	"math"
	"time"
)

// pacer is the token bucket that paces sends. Its rate doubles every
// growEvery while nothing is lost and halves, at most once per calm
// period, when replies go missing (a port answers only a retry, the
// receive queue overflows, the kernel refuses a send).
type pacer struct {
	rate, lower, higher float64 // packets per second
	tokens              float64
	last, grown         time.Time
	hold, calm          time.Time // no sends before hold, no growth before calm
	backoffs            int
	peak                float64
}

const (
	growEvery   = 20 * time.Millisecond
	calmPeriod  = 100 * time.Millisecond
	burstWindow = 2 * time.Millisecond
)

func newPacer(initial, lower, higher float64, now time.Time) *pacer {
	r := min(initial, higher)
	return &pacer{rate: r, lower: min(lower, r), higher: higher, last: now, grown: now, tokens: 1, peak: r}
}

// allow returns how many probes may go now.
func (p *pacer) allow(now time.Time) int {
	if now.Before(p.hold) {
		return 0
	}
	p.refill(now)
	return int(p.tokens)
}

func (p *pacer) refill(now time.Time) {
	if now.Sub(p.grown) >= growEvery && !now.Before(p.calm) && p.tokens < 1 {
		// only a rate that is really used grows
		p.rate = min(p.rate*2, p.higher)
		p.peak = max(p.peak, p.rate)
		p.grown = now
	}
	p.tokens += now.Sub(p.last).Seconds() * p.rate
	p.tokens = min(p.tokens, max(1, p.rate*burstWindow.Seconds()))
	p.last = now
}

func (p *pacer) spend() { p.tokens-- }

// wait is how long until the next probe may go.
func (p *pacer) wait(now time.Time) time.Duration {
	if now.Before(p.hold) {
		return p.hold.Sub(now)
	}
	if p.tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - p.tokens) / p.rate * 1e9))
}

// loss halves the rate.
func (p *pacer) loss(now time.Time) {
	if now.Before(p.calm) {
		return
	}
	p.rate = max(p.rate/2, p.lower)
	p.calm = now.Add(calmPeriod)
	p.grown = now
	p.backoffs++
}

// pause stops all sends for d (a local resource ran out).
func (p *pacer) pause(now time.Time, d time.Duration) {
	p.hold = maxTime(p.hold, now.Add(d))
	p.loss(now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
