package probe

import (
	"sync"
	"testing"
	"time"
)

// fakeTable plays the prober's conntrack table: a probe's first send
// makes an entry that lives for life; held entries belong to the rest of
// the host and never expire.
type fakeTable struct {
	mu          sync.Mutex
	limit, held int
	life        time.Duration
	made        []time.Time
	peak        int
}

func (f *fakeTable) live(now time.Time) int {
	n := f.held
	for _, t := range f.made {
		if now.Sub(t) < f.life {
			n++
		}
	}
	return n
}

func (f *fakeTable) add() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.made = append(f.made, now)
	f.peak = max(f.peak, f.live(now))
}

func (f *fakeTable) read() (int, int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live(time.Now()), f.limit, true
}

// track makes the transport's first send to a port an entry.
func (f *fakeTable) track(t *fakeTransport) {
	t.sendErr = func(_ uint16, attempt int) error {
		if attempt == 1 {
			f.add()
		}
		return nil
	}
}

func TestCTBudget(t *testing.T) {
	count := 100
	read := func() (int, int, bool) { return count, 1100, true }
	now := time.Now()
	b := newCTBudget(read, time.Second, now)
	if b.free0 != 1000 || b.ceiling != 600 {
		t.Fatalf("free0 %d ceiling %d, want 1000 and 600", b.free0, b.ceiling)
	}
	if r := b.room(now); r != 500 {
		t.Fatalf("room %d, want 500", r)
	}
	b.spend(500)
	if r := b.room(now.Add(ctReread / 2)); r != 0 {
		t.Fatalf("room %d after spending it all, want 0 until the table is read again", r)
	}
	b.track(now, true)
	count = 400 // entries expired
	if r := b.room(now.Add(ctReread)); r != 200 {
		t.Fatalf("room %d after a read, want 200", r)
	}
	if err := b.stuck(now.Add(time.Second)); err == nil {
		t.Error("not stuck after waiting the whole patience")
	}
	b.track(now.Add(300*time.Millisecond), false)
	if w := b.total(now.Add(time.Hour)); w != 300*time.Millisecond {
		t.Errorf("waited %v, want 300ms", w)
	}
	if none := newCTBudget(nil, time.Second, now); none.free0 != -1 || none.room(now) <= 1<<20 {
		t.Errorf("without conntrack: free0 %d room %d", none.free0, none.room(now))
	}
}

// A drop host's every probe leaves an entry: the run stays under half the
// free entries, waits for its first entries to expire, and is still exact.
func TestEngineConntrackWaits(t *testing.T) {
	table := &fakeTable{limit: 2000, life: 300 * time.Millisecond}
	f := newFake(func(uint16, int) (reply, time.Duration, bool) { return reply{}, 0, false })
	table.track(f)
	cfg := testConfig()
	cfg.conntrack, cfg.conntrackWait = table.read, 10*time.Second
	res, st := runFake(t, f, portList(1000, 2500), cfg)
	for _, r := range res {
		if r.State != Stealth {
			t.Fatalf("got %s, want every port stealth", r)
		}
	}
	if table.peak > 1000 {
		t.Errorf("the table held %d entries, over the ceiling of 1000", table.peak)
	}
	if st.ConntrackFree != 2000 || st.ConntrackWait <= 0 {
		t.Errorf("conntrack free %d, wait %v: want 2000 and a wait", st.ConntrackFree, st.ConntrackWait)
	}
}

// A table the rest of the host keeps over the ceiling: the run gives up on
// the ports it could not send, and says why.
func TestEngineConntrackFull(t *testing.T) {
	table := &fakeTable{limit: 2000, held: 1900, life: time.Hour}
	f := newFake(func(uint16, int) (reply, time.Duration, bool) { return reset, fast, true })
	table.track(f)
	cfg := testConfig()
	cfg.conntrack, cfg.conntrackWait = table.read, 200*time.Millisecond
	res, st := runFake(t, f, portList(1000, 500), cfg)
	closed, unknown := 0, 0
	for _, r := range res {
		switch {
		case r.State == Closed:
			closed++
		case r.State == Unknown && r.Reason == ReasonLocalError && r.Error != "":
			unknown++
		default:
			t.Fatalf("got %s, want closed or unknown (local-error)", r)
		}
	}
	if closed != 50 || unknown != 450 {
		t.Errorf("%d closed, %d unknown: want the 50 the ceiling allows, and 450 unknown", closed, unknown)
	}
	if st.ConntrackWait < 200*time.Millisecond {
		t.Errorf("waited %v, want the whole patience", st.ConntrackWait)
	}
}
