package probe

import (
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeTransport plays a target: respond says what answers a try, and
// after how long; silence is ok == false.
type fakeTransport struct {
	mu       sync.Mutex
	out      chan answer
	tries    map[uint16]int
	respond  func(port uint16, try int) (reply, time.Duration, bool)
	sendErr  func(port uint16, attempt int) error
	attempts map[uint16]int
	flying   int
	maxFly   int
}

func newFake(respond func(port uint16, try int) (reply, time.Duration, bool)) *fakeTransport {
	return &fakeTransport{out: make(chan answer, 1<<16), tries: map[uint16]int{}, attempts: map[uint16]int{}, respond: respond}
}

func (f *fakeTransport) send(port uint16) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts[port]++
	if f.sendErr != nil {
		if err := f.sendErr(port, f.attempts[port]); err != nil {
			return err
		}
	}
	f.tries[port]++
	f.flying++
	f.maxFly = max(f.maxFly, f.flying)
	r, d, ok := f.respond(port, f.tries[port])
	if ok {
		r.port = port
		time.AfterFunc(d, func() {
			f.mu.Lock()
			f.flying--
			f.mu.Unlock()
			f.out <- answer{reply: r, at: time.Now()}
		})
	}
	return nil
}

func (f *fakeTransport) expire(uint16) {
	f.mu.Lock()
	f.flying--
	f.mu.Unlock()
}

func (f *fakeTransport) answers() <-chan answer { return f.out }
func (f *fakeTransport) drops() uint64          { return 0 }
func (f *fakeTransport) close() error           { return nil }

func testConfig() engineConfig {
	return engineConfig{
		proto: "tcp", retries: 1, window: 4096, windowLimit: "mode",
		minTimeout: 20 * time.Millisecond, maxTimeout: 500 * time.Millisecond,
		maxRate: 1e6, rateLimitWait: 10 * time.Second,
		neighborWait: 300 * time.Millisecond,
	}
}

func portList(first, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		out[i] = uint16(first + i)
	}
	return out
}

var (
	synAck   = reply{state: Open, reason: ReasonSynAck}
	reset    = reply{state: Closed, reason: ReasonReset}
	portUnr  = reply{state: Rejected, reason: ReasonPortUnreachable, icmp: true}
	adminPro = reply{state: Rejected, reason: "admin-prohibited", icmp: true}
)

const fast = time.Millisecond

func runFake(t *testing.T, f *fakeTransport, ports []uint16, cfg engineConfig) ([]Result, Stats) {
	t.Helper()
	return newEngine(f, ports, cfg).run(t.Context())
}

func expect(t *testing.T, res []Result, port uint16, st State, reason string) {
	t.Helper()
	for _, r := range res {
		if r.Port == port {
			if r.State != st || r.Reason != reason {
				t.Errorf("port %d: got %s, want %s (%s)", port, r, st, reason)
			}
			return
		}
	}
	t.Errorf("port %d: no result", port)
}

func TestEngineClassifies(t *testing.T) {
	f := newFake(func(p uint16, _ int) (reply, time.Duration, bool) {
		switch p % 10 {
		case 0:
			return synAck, fast, true
		case 1:
			return reset, fast, true
		case 2:
			return adminPro, fast, true
		}
		return reply{}, 0, false
	})
	cfg := testConfig()
	cfg.counters = func() (uint64, error) { return 7, nil } // never moves: no rate limit
	res, st := runFake(t, f, portList(1, 100), cfg)
	for _, r := range res {
		want, tries := Stealth, 2
		switch r.Port % 10 {
		case 0:
			want, tries = Open, 1
		case 1:
			want, tries = Closed, 1
		case 2:
			want, tries = Rejected, 1
		}
		// silent ports among ports that answered alike are probed
		// again until a later answer proves their silence
		if r.State != want || r.Tries < tries || (want != Stealth && r.Tries != tries) || r.Proto != "tcp" {
			t.Errorf("port %d: got %s after %d tries, want %s after %d", r.Port, r, r.Tries, want, tries)
		}
	}
	if st.Answered != 30 || st.Retried < 70 || st.SRTT == 0 || st.TargetRateLimited != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestEngineRetriesLostReplies: SYN/ACKs that go missing are found by
// retries, slow the rate down, and earn the silent ports more retries;
// RSTs that come only on retries mark a range whose silent ports are
// re-probed until a later answer proves their silence.
func TestEngineRetriesLostReplies(t *testing.T) {
	f := newFake(func(p uint16, try int) (reply, time.Duration, bool) {
		switch {
		case p <= 10:
			return synAck, fast, try >= 2
		case p <= 12:
			return synAck, fast, try >= 3
		case p >= 100 && p <= 110:
			return reset, fast, try >= 2
		}
		return reply{}, 0, false
	})
	res, st := runFake(t, f, portList(1, 200), testConfig())
	for p := uint16(1); p <= 12; p++ {
		expect(t, res, p, Open, ReasonSynAck)
	}
	for p := uint16(100); p <= 110; p++ {
		expect(t, res, p, Closed, ReasonReset)
	}
	expect(t, res, 13, Stealth, ReasonNoResponse)
	expect(t, res, 111, Stealth, ReasonNoResponse)
	if st.AnsweredOnRetry != 23 || st.Backoffs == 0 {
		t.Errorf("stats %+v", st)
	}
	if n := f.tries[200]; n != 1+maxRetries {
		t.Errorf("silent port tried %d times, want %d", n, 1+maxRetries)
	}
}

// runSorted runs the engine with its ports in order, not shuffled.
func runSorted(ctx context.Context, f *fakeTransport, ports []uint16, cfg engineConfig) ([]Result, Stats) {
	e := newEngine(f, ports, cfg)
	slices.Sort(e.order)
	return e.run(ctx)
}

// TestEngineLateAnswer: an answer after the port's timeout, while it waits
// for its retry, still counts.
func TestEngineLateAnswer(t *testing.T) {
	f := newFake(func(p uint16, try int) (reply, time.Duration, bool) {
		if p == 1 {
			return synAck, 100 * time.Millisecond, try == 1
		}
		return reset, fast, true
	})
	cfg := testConfig()
	cfg.maxRate = 5000 // the fresh ports take 0.6 s
	res, st := runSorted(t.Context(), f, portList(1, 3000), cfg)
	expect(t, res, 1, Open, ReasonSynAck)
	if st.Late == 0 {
		t.Errorf("no late answer counted: %+v", st)
	}
}

func TestEngineLocalErrors(t *testing.T) {
	f := newFake(func(uint16, int) (reply, time.Duration, bool) { return reset, fast, true })
	f.sendErr = func(p uint16, attempt int) error {
		if p <= 5 && attempt <= 3 {
			return syscall.EMFILE
		}
		return nil
	}
	res, st := runFake(t, f, portList(1, 20), testConfig())
	for p := uint16(1); p <= 20; p++ {
		expect(t, res, p, Closed, ReasonReset)
	}
	if st.LocalErrors != 15 {
		t.Errorf("local errors %d, want 15", st.LocalErrors)
	}
}

// TestEngineAbortsWhenNothingCanBeSent: a prober that cannot send at all
// stops soon, every port unknown with the error.
func TestEngineAbortsWhenNothingCanBeSent(t *testing.T) {
	f := newFake(func(uint16, int) (reply, time.Duration, bool) { return reset, fast, true })
	f.sendErr = func(uint16, int) error { return syscall.ENETUNREACH }
	start := time.Now()
	res, _ := runFake(t, f, portList(1, 5000), testConfig())
	for _, r := range res {
		if r.State != Unknown || r.Reason != ReasonLocalError || r.Error == "" {
			t.Fatalf("got %s, want unknown local-error", r)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// bucket is the target's ICMP rate limit: burst tokens, refilled at rate
// a second; what it holds back is counted.
type bucket struct {
	mu      sync.Mutex
	tokens  float64
	burst   float64
	rate    float64
	last    time.Time
	limited uint64
	allowed int
}

func newBucket(burst, rate float64) *bucket {
	return &bucket{tokens: burst, burst: burst, rate: rate, last: time.Now()}
}

func (b *bucket) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		b.allowed++
		return true
	}
	b.limited++
	return false
}

func (b *bucket) counters() (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limited, nil
}

// limitedTarget answers ports lo-hi with r through b and drops the rest.
func limitedTarget(b *bucket, lo, hi uint16, r reply) *fakeTransport {
	return newFake(func(p uint16, _ int) (reply, time.Duration, bool) {
		if p >= lo && p <= hi && b.allow() {
			return r, fast, true
		}
		return reply{}, 0, false
	})
}

// checkLimited: lo-hi in state want, every other port stealth.
func checkLimited(t *testing.T, res []Result, lo, hi uint16, want State) {
	t.Helper()
	for _, r := range res {
		w := Stealth
		if r.Port >= lo && r.Port <= hi {
			w = want
		}
		if r.State != w {
			t.Errorf("port %d: got %s, want %s", r.Port, r, w)
		}
	}
}

// TestEngineRateLimitWithCounters: an ICMP-rejected range behind the
// target's ICMP limit; the counters are read for the stats only.
func TestEngineRateLimitWithCounters(t *testing.T) {
	b := newBucket(3, 50)
	cfg := testConfig()
	cfg.counters = b.counters
	res, st := runFake(t, limitedTarget(b, 80, 99, portUnr), portList(80, 40), cfg)
	checkLimited(t, res, 80, 99, Rejected)
	if st.TargetRateLimited <= 0 || st.SlowProbes == 0 || len(st.RateLimited) != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestEngineRSTLimitedRange: a range whose RSTs a limit rule holds back,
// on a host that drops the rest. The range is found from its answers,
// settled exactly, and only ports near it are probed again.
func TestEngineRSTLimitedRange(t *testing.T) {
	b := newBucket(10, 400)
	res, st := runFake(t, limitedTarget(b, 3000, 3399, reset), portList(1, 8000), testConfig())
	checkLimited(t, res, 3000, 3399, Closed)
	for _, r := range res {
		if (r.Port < 2500 || r.Port > 3900) && r.Tries > 2 {
			t.Errorf("port %d far from the limited range was probed %d times", r.Port, r.Tries)
		}
	}
	if len(st.RateLimited) != 1 || st.RateLimited[0].From < 2990 || st.RateLimited[0].To > 3399 {
		t.Errorf("limited ranges %+v", st.RateLimited)
	}
}

// TestEngineDrainedLimit: a limit emptied before the run (by an earlier
// scan) lets one ICMP error of its range through the fast pass; that lone
// answer still marks its neighbours suspect, and the range is found whole.
func TestEngineDrainedLimit(t *testing.T) {
	b := newBucket(3, 2)
	b.tokens = 0
	res, st := runFake(t, limitedTarget(b, 100, 107, portUnr), portList(1, 2000), testConfig())
	checkLimited(t, res, 100, 107, Rejected)
	if len(st.RateLimited) != 1 {
		t.Errorf("limited ranges %+v", st.RateLimited)
	}
}

// TestEngineLoneReject: one rejected port behind the kernel's ICMP limit
// on a host that drops the rest costs a look at its neighbours, proven
// silent by two answers of that port after them, and nothing else.
func TestEngineLoneReject(t *testing.T) {
	b := newBucket(6, 2)
	res, _ := runFake(t, limitedTarget(b, 113, 113, portUnr), portList(1, 2000), testConfig())
	checkLimited(t, res, 113, 113, Rejected)
	for _, r := range res {
		if (r.Port < 113-minExt || r.Port > 113+minExt) && r.Tries > 2 {
			t.Errorf("port %d far from the rejected port was probed %d times", r.Port, r.Tries)
		}
	}
}

// TestEngineRejectsApart: a drop host that rejects two ports far apart
// (each by its own rule, no limit) makes their silent neighbours suspect
// at first; growing bursts of them followed by the two ports, which answer
// every time, prove them stealth (about 1.5 s here, where bursts of a
// limited range's size did not settle them in 60 s), and no limit is
// reported.
func TestEngineRejectsApart(t *testing.T) {
	f := newFake(func(p uint16, _ int) (reply, time.Duration, bool) {
		if p == 3000 || p == 5700 {
			return reset, fast, true
		}
		return reply{}, 0, false
	})
	res, st := runFake(t, f, portList(1, 8000), testConfig())
	for _, r := range res {
		if w := map[bool]State{true: Closed, false: Stealth}[r.Port == 3000 || r.Port == 5700]; r.State != w {
			t.Fatalf("got %s, want %s", r, w)
		}
	}
	if len(st.RateLimited) != 0 || len(st.Cleared) != 1 {
		t.Errorf("limited %+v, cleared %+v: want one cleared range, no limit", st.RateLimited, st.Cleared)
	}
}

// TestEngineUnsettled: when the wait ends before the limit lets the
// answers through, the range's silent ports are unknown, never stealth,
// and ports far from it are stealth.
func TestEngineUnsettled(t *testing.T) {
	for _, wait := range []time.Duration{200 * time.Millisecond, -1} {
		b := newBucket(8, 0)
		cfg := testConfig()
		cfg.rateLimitWait = wait
		res, _ := runFake(t, limitedTarget(b, 100, 199, portUnr), portList(1, 1000), cfg)
		for _, r := range res {
			switch {
			case r.Port >= 100 && r.Port <= 199 && r.State == Stealth:
				t.Errorf("wait %v: port %d: stealth while the limit held its answer back", wait, r.Port)
			case r.Port > 400 && r.State != Stealth:
				t.Errorf("wait %v: port %d far from the limited range: %s", wait, r.Port, r)
			}
		}
		if n := countReason(res, ReasonRateLimited); n < 90 {
			t.Errorf("wait %v: %d ports unknown (rate-limited), want the range's silent ports", wait, n)
		}
	}
}

// TestEnginePaced: a range the rules say is limited is paced from the
// start, and no answer is lost to the limit.
func TestEnginePaced(t *testing.T) {
	b := newBucket(5, 200)
	cfg := testConfig()
	cfg.paced = []Pace{{Proto: "tcp", From: 500, To: 599, PerSecond: 200, Burst: 5}}
	f := limitedTarget(b, 500, 599, reset)
	res, st := runFake(t, f, portList(1, 2000), cfg)
	checkLimited(t, res, 500, 599, Closed)
	for _, r := range res[499:599] {
		if r.Tries != 1 {
			t.Errorf("port %d probed %d times: an answer was lost to the limit", r.Port, r.Tries)
		}
	}
	if len(st.RateLimited) != 1 || !st.RateLimited[0].Stated {
		t.Errorf("limited ranges %+v", st.RateLimited)
	}
}

// TestEnginePacedSharedLimit: two ranges behind one rule's limit share
// its budget; paced as one, neither loses an answer to the other.
func TestEnginePacedSharedLimit(t *testing.T) {
	b := newBucket(5, 200)
	f := newFake(func(p uint16, _ int) (reply, time.Duration, bool) {
		in := (p >= 500 && p <= 579) || (p >= 1500 && p <= 1579)
		return reset, fast, in && b.allow()
	})
	cfg := testConfig()
	limit := "limit rate 200/second burst 5 packets"
	cfg.paced = []Pace{{Proto: "tcp", From: 500, To: 579, PerSecond: 200, Burst: 5, Limit: limit},
		{Proto: "tcp", From: 1500, To: 1579, PerSecond: 200, Burst: 5, Limit: limit}}
	res, st := runFake(t, f, portList(1, 2000), cfg)
	for _, r := range res {
		in := (r.Port >= 500 && r.Port <= 579) || (r.Port >= 1500 && r.Port <= 1579)
		switch {
		case in && (r.State != Closed || r.Tries != 1):
			t.Errorf("port %d: %s after %d probes: an answer was lost to the shared limit", r.Port, r, r.Tries)
		case !in && r.State != Stealth:
			t.Errorf("port %d: got %s, want stealth", r.Port, r)
		}
	}
	if len(st.RateLimited) != 2 {
		t.Errorf("limited ranges %+v", st.RateLimited)
	}
}

// TestEngineInterruptKeepsSilenceUnknown: a run stopped before its
// silences were weighed calls no port stealth.
func TestEngineInterruptKeepsSilenceUnknown(t *testing.T) {
	f := newFake(func(p uint16, _ int) (reply, time.Duration, bool) { return reset, fast, p%2 == 0 })
	cfg := testConfig()
	cfg.minTimeout = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	res, _ := newEngine(f, portList(1, 100), cfg).run(ctx)
	for _, r := range res {
		if r.State == Stealth {
			t.Errorf("port %d stealth in an interrupted run", r.Port)
		}
	}
}

func TestEngineInterrupt(t *testing.T) {
	f := newFake(func(p uint16, _ int) (reply, time.Duration, bool) { return reset, fast, p == 1 })
	cfg := testConfig()
	cfg.maxRate = 100
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, _ := runSorted(ctx, f, portList(1, 1000), cfg)
	if d := time.Since(start); d > time.Second {
		t.Errorf("stopped after %v", d)
	}
	expect(t, res, 1, Closed, ReasonReset)
	expect(t, res, 1000, Unknown, ReasonInterrupted)
}

func TestEngineNoNeighbor(t *testing.T) {
	f := newFake(func(p uint16, try int) (reply, time.Duration, bool) {
		r := reply{state: Unknown, reason: ReasonNoNeighbor, icmp: true}
		return r, 150 * time.Millisecond, p == 1 && try == 1
	})
	e := newEngine(f, portList(1, 10), testConfig())
	res, _ := e.run(t.Context())
	for _, r := range res {
		if r.State != Unknown || r.Reason != ReasonNoNeighbor {
			t.Errorf("got %s, want unknown (no-neighbor)", r)
		}
	}
	if !e.noNeighbor {
		t.Error("the engine did not say the target answered no neighbour discovery")
	}
}

func TestEngineWindow(t *testing.T) {
	f := newFake(func(uint16, int) (reply, time.Duration, bool) { return reset, 5 * fast, true })
	cfg := testConfig()
	cfg.window = 8
	res, _ := runFake(t, f, portList(1, 200), cfg)
	expect(t, res, 200, Closed, ReasonReset)
	if f.maxFly > 8 {
		t.Errorf("%d in flight, window 8", f.maxFly)
	}
}

func TestEngineProgress(t *testing.T) {
	f := newFake(func(uint16, int) (reply, time.Duration, bool) { return synAck, 20 * fast, true })
	var last Progress
	cfg := testConfig()
	cfg.maxRate = 2000
	cfg.progress = func(p Progress) { last = p }
	runFake(t, f, portList(1, 500), cfg)
	if last.Total != 500 || last.Done == 0 || last.Open != last.Done || last.Proto != "tcp" {
		t.Errorf("last progress %+v", last)
	}
}
