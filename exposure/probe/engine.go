package probe

import (
	"context"
	"math/rand/v2"
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
	// paced are the ranges the rules say are rate-limited.
	paced []Pace
	// counters reads the target's ICMP rate-limit counters; nil when the
	// target's namespace is not ours.
	counters func() (uint64, error)
	// conntrack reads the prober's conntrack entries and their limit; nil
	// without conntrack.
	conntrack func() (count, limit int, ok bool)
	// conntrackWait is how long sends may wait for room in vain.
	conntrackWait time.Duration
	progress      func(Progress)
	// neighborWait is how long a silent target is listened to for a
	// failed ARP or neighbour discovery.
	neighborWait time.Duration
}

// Tuning of the engine's loop.
const (
	sendChunk       = 256 // sends between looks at the answers
	progressEvery   = 100 * time.Millisecond
	maxLocalErrors  = 6
	localBackoff    = 5 * time.Millisecond
	abortAfterLocal = 64 // consecutive local errors: the prober cannot send at all
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
	phaseNew     portPhase = iota // not sent yet
	phaseFlying                   // sent, waiting for an answer
	phaseWaiting                  // queued for another try
	phaseSilent                   // out of tries, no answer
	phaseSuspect                  // silent in a rate-limited range: not settled
	phaseHeld                     // in a range the rules say is rate-limited: paced, never in the fast pass
	phaseDone                     // answered or decided
)

type portState struct {
	sent      time.Duration // since the run started: 8 bytes, not 24, times 65,535
	tries     uint16
	localErrs uint8
	phase     portPhase
	retryAns  bool // answered only a retry
	confirmed bool // silent while its range's limit had room to answer
	// canaryOut counts the sends of this answered port as a canary in
	// the burst going on, canaryBack the answers like before they drew.
	canaryOut, canaryBack uint8
}

// flight is a probe waiting for its answer, oldest first; it is stale
// once its port was answered or sent again.
type flight struct {
	i    int32
	sent time.Duration
}

// engine probes one protocol's ports over a transport: it paces the sends,
// in random order, waits one adaptive timeout for all silent ports
// together (a port's wait starts when it is sent, so sending never stops
// for silence), retries only silent ports, and then re-probes the silent
// ports of ranges whose answers were rate-limited, at the rate the
// answers allow.
type engine struct {
	cfg        engineConfig
	t          transport
	ports      []uint16
	index      []int32 // port → position in ports, -1 when not probed
	st         []portState
	res        []Result
	order      []int32 // positions of the fast pass, shuffled
	fresh      int     // next never-sent entry of order
	retry      []int32 // positions queued for another try
	batch      []int32 // the send burst's positions, reused
	batchPorts []uint16
	flights    []flight
	head       int // first live entry of flights
	inFlight   int
	maxTries   int
	rtt        rttEstimator
	pace       *pacer
	stats      Stats
	start      time.Time
	lastTick   time.Time
	phase      string
	// noNeighbor: the prober's kernel could not resolve the target's link
	// address, so nothing reached it.
	noNeighbor bool
	// analysed: the fast pass ended and its silences were weighed, so a
	// silent port outside every rate-limited range is stealth.
	analysed    bool
	fastTook    time.Duration
	regions     []*region
	turn        int // the source of the last paced burst
	seenDrops   uint64
	localStreak int
	abortErr    error
	counters0   uint64
	countersOK  bool
	ct          ctBudget
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
	e.order = e.shuffled()
	e.stats.Window, e.stats.WindowLimit = cfg.window, cfg.windowLimit
	return e
}

// shuffled lists the positions of the fast pass in random order, as nmap
// does: the answers a rate limit lets through then fall all over its
// range, not at its start, so the range shows. Held ports wait for their
// paced phase.
func (e *engine) shuffled() []int32 {
	order := make([]int32, 0, len(e.ports))
	for i, p := range e.ports {
		if inPaces(e.cfg.paced, p) {
			e.st[i].phase = phaseHeld
			continue
		}
		order = append(order, int32(i))
	}
	rand.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	return order
}

// run probes every port and returns one Result per port, in order.
func (e *engine) run(ctx context.Context) ([]Result, Stats) {
	e.start = time.Now()
	e.pace = newPacer(initialRate, minRate, e.cfg.maxRate, e.start)
	e.ct = newCTBudget(e.cfg.conntrack, e.cfg.conntrackWait, e.start)
	e.readCounters0()
	ok := e.loop(ctx, e.idle) && e.awaitNeighbor(ctx) && e.retryLosses(ctx)
	e.fastTook = time.Since(e.start)
	if ok && !e.noNeighbor && e.abortErr == nil {
		e.analysed = true
		e.regions = append(e.regions, e.pacedRegions()...)
		e.settle(ctx)
	}
	e.finish()
	return e.res, e.stats
}

func (e *engine) idle() bool {
	return e.abortErr != nil || (e.fresh == len(e.order) && len(e.retry) == 0 && e.inFlight == 0)
}

// retryLosses finds the rate-limited ranges; when replies went missing
// outside them (lost on the way, not held back by a limit), the silent
// ports outside them earn more tries.
func (e *engine) retryLosses(ctx context.Context) bool {
	for {
		e.regions = e.findRegions()
		if !e.lossOutside() || !e.requeueSilent() {
			return true
		}
		if !e.loop(ctx, e.idle) {
			return false
		}
	}
}

// requeueSilent gives the silent ports outside rate-limited ranges the
// extra tries that missing replies earn.
func (e *engine) requeueSilent() bool {
	e.maxTries = max(e.maxTries, 1+maxRetries)
	n := 0
	for i := range e.st {
		if s := &e.st[i]; s.phase == phaseSilent && int(s.tries) < e.maxTries && e.regionOf(e.ports[i]) == nil {
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
	e.counters0, e.countersOK = c, err == nil
}
