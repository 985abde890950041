package probe

import (
	"context"
	"time"
)

// engineConfig is what one protocol's run needs besides its transport.
type engineConfig struct {
	proto         string
	retries       int
	window        int
	windowLimit   string
	minTimeout    time.Duration
	maxTimeout    time.Duration
	maxRate       float64
	rateLimitWait time.Duration
	// counters reads the target's ICMP rate-limit counters; nil when the
	// target's namespace is not ours.
	counters func() (uint64, error)
	progress func(Progress)
	// slowPace spaces slow probes without counters; neighborWait is how
	// long a silent target is listened to for a failed ARP or neighbour
	// discovery.
	slowPace, neighborWait time.Duration
}

// Tuning of the engine's loop.
const (
	sendChunk       = 256 // sends between looks at the answers
	progressEvery   = 100 * time.Millisecond
	maxLocalErrors  = 6
	localBackoff    = 5 * time.Millisecond
	abortAfterLocal = 64 // consecutive local errors: the prober cannot send at all
	slowBatchMax    = 32
	slowPauseMin    = 250 * time.Millisecond
	slowPauseMax    = 2 * time.Second
	minWindow       = 16
)

// Names of the phases in Progress.
const (
	phaseFast = "probing"
	phaseSlow = "rate-limited"
)

// portPhase is where a port is in its run.
type portPhase uint8

const (
	phaseNew         portPhase = iota // not sent yet
	phaseFlying                       // sent, waiting for an answer
	phaseWaiting                      // queued for another try
	phaseSilent                       // out of tries, no answer
	phaseUnconfirmed                  // silent, but the target's rate limit may be why
	phaseDone                         // answered or decided
)

type portState struct {
	sent      time.Duration // since the run started: 8 bytes, not 24, times 65,535
	tries     uint16
	localErrs uint8
	phase     portPhase
	icmp      bool // answered with an ICMP error
	confirmed bool // silent, and the slow phase confirmed it
}

// flight is a probe waiting for its answer, oldest first; it is stale
// once its port was answered or sent again.
type flight struct {
	i    int32
	sent time.Duration
}

// engine probes one protocol's ports over a transport: it paces the sends,
// waits one adaptive timeout for all silent ports together (a port's wait
// starts when it is sent, so sending never stops for silence), retries
// only silent ports, and re-probes slowly when the target's ICMP rate limit
// may have eaten answers.
type engine struct {
	cfg      engineConfig
	t        transport
	ports    []uint16
	index    []int32 // port → position in ports, -1 when not probed
	st       []portState
	res      []Result
	fresh    int     // next never-sent position
	retry    []int32 // positions queued for another try
	flights  []flight
	head     int // first live entry of flights
	inFlight int
	maxTries int
	rtt      rttEstimator
	pace     *pacer
	stats    Stats
	start    time.Time
	lastTick time.Time
	phase    string
	// noNeighbor: the prober's kernel could not resolve the target's link
	// address, so silence means nothing reached it.
	noNeighbor    bool
	icmpOnRetry   int
	icmpAnswers   int
	fastTook      time.Duration
	slowEnd       time.Time
	slowNext      time.Time // without counters: no slow probe before
	seenDrops     uint64
	localStreak   int
	abortErr      error
	counters0     uint64
	countersKnown bool
}

func newEngine(t transport, ports []uint16, cfg engineConfig) *engine {
	e := &engine{
		cfg: cfg, t: t, ports: ports,
		index: make([]int32, 65536), st: make([]portState, len(ports)), res: make([]Result, len(ports)),
		maxTries: 1 + cfg.retries,
		rtt:      newRTTEstimator(min(initialTimeout, cfg.maxTimeout), cfg.minTimeout, cfg.maxTimeout),
		phase:    phaseFast,
	}
	for i := range e.index {
		e.index[i] = -1
	}
	for i, p := range ports {
		e.index[p] = int32(i)
	}
	e.stats.Window, e.stats.WindowLimit = cfg.window, cfg.windowLimit
	return e
}

// run probes every port and returns one Result per port, in order.
func (e *engine) run(ctx context.Context) ([]Result, Stats) {
	e.start = time.Now()
	e.pace = newPacer(initialRate, minRate, e.cfg.maxRate, e.start)
	e.readCounters0()
	ok := e.normal(ctx)
	e.fastTook = time.Since(e.start)
	if ok {
		ok = e.awaitNeighbor(ctx)
	}
	if ok && e.hasSilent() && !e.noNeighbor {
		e.rateLimitPhase(ctx)
	}
	e.finish()
	return e.res, e.stats
}

// normal runs the fast phase, and runs it again for the ports that earn
// more retries when replies went missing.
func (e *engine) normal(ctx context.Context) bool {
	for {
		if !e.loop(ctx, e.idle) {
			return false
		}
		if e.abortErr != nil || !e.lossSeen() || e.rateLimitHint() || !e.requeueSilent() {
			return true
		}
	}
}

func (e *engine) idle() bool {
	return e.abortErr != nil || (e.fresh == len(e.ports) && len(e.retry) == 0 && e.inFlight == 0)
}

// requeueSilent gives silent ports the extra tries that missing replies
// earn.
func (e *engine) requeueSilent() bool {
	e.maxTries = max(e.maxTries, 1+maxRetries)
	n := 0
	for i := range e.st {
		if s := &e.st[i]; s.phase == phaseSilent && int(s.tries) < e.maxTries {
			s.phase = phaseWaiting
			e.retry = append(e.retry, int32(i))
			n++
		}
	}
	return n > 0
}

// awaitNeighbor listens on when the target answered nothing at all, until
// the prober's kernel would have given up on ARP or neighbour discovery
// and said so.
func (e *engine) awaitNeighbor(ctx context.Context) bool {
	if e.stats.Answered > 0 || !e.hasSilent() || e.noNeighbor {
		return true
	}
	end := e.start.Add(e.cfg.neighborWait)
	return e.loop(ctx, func() bool { return e.noNeighbor || !time.Now().Before(end) })
}

func (e *engine) hasSilent() bool {
	for _, s := range e.st {
		if s.phase == phaseSilent {
			return true
		}
	}
	return false
}

func (e *engine) readCounters0() {
	e.stats.TargetRateLimited = -1
	if e.cfg.counters == nil {
		return
	}
	c, err := e.cfg.counters()
	e.counters0, e.countersKnown = c, err == nil
}

// rateLimitHint: the target's counters moved, or (without them) a port
// answered with ICMP only when asked again.
func (e *engine) rateLimitHint() bool {
	if e.countersKnown {
		c, err := e.cfg.counters()
		return err != nil || c > e.counters0
	}
	return e.icmpOnRetry > 0
}
