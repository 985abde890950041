package probe

import (
	"fmt"
	"math"
	"time"
)

// ctBudget keeps a run from filling the prober's conntrack table. Every
// probe to a new port may make an entry that outlives the probe (an
// unanswered SYN's lives 120 s, a UDP datagram's 30 s), and a full table
// makes the host drop new connections: on a table that back-to-back scans
// had filled, the kernel's early drop of unanswered entries let 6 of 20
// connections through. A run takes at most half the entries free at its
// start; past that its sends wait for entries to expire.
type ctBudget struct {
	read     func() (count, limit int, ok bool) // nil: no conntrack in sight, or no budget
	free0    int                                // free at the start; -1 when read is nil
	ceiling  int
	count    int // the table's at the last read, plus the sends since
	readAt   time.Time
	since    time.Time // when the sends began to wait for room; zero when not waiting
	waited   time.Duration
	patience time.Duration
}

const (
	ctReread = 50 * time.Millisecond
	// ctPatience outlasts an unanswered SYN's entry (120 s) and the
	// kernel's sweep of expired ones: a table still over the ceiling is
	// held by the rest of the host.
	ctPatience = 150 * time.Second
)

func newCTBudget(read func() (int, int, bool), patience time.Duration, now time.Time) ctBudget {
	b := ctBudget{free0: -1, patience: patience}
	if read == nil {
		return b
	}
	count, limit, ok := read()
	if !ok || limit <= 0 {
		return b
	}
	b.read, b.free0 = read, max(0, limit-count)
	b.ceiling, b.count, b.readAt = count+b.free0/2, count, now
	return b
}

// room is how many probes may go now.
func (b *ctBudget) room(now time.Time) int {
	if b.read == nil {
		return math.MaxInt
	}
	if now.Sub(b.readAt) >= ctReread {
		if count, _, ok := b.read(); ok {
			b.count = count // the entries of the sends so far are in it
		}
		b.readAt = now
	}
	return max(0, b.ceiling-b.count)
}

func (b *ctBudget) spend(n int) { b.count += n }

// track times the waits: want is true while probes wait for room.
func (b *ctBudget) track(now time.Time, want bool) {
	switch {
	case want && b.since.IsZero():
		b.since = now
	case !want && !b.since.IsZero():
		b.waited += now.Sub(b.since)
		b.since = time.Time{}
	}
}

// waiting tells whether sends wait for room, and how long until the table
// is read again.
func (b *ctBudget) waiting(now time.Time) (bool, time.Duration) {
	if b.since.IsZero() {
		return false, 0
	}
	return true, max(time.Millisecond, ctReread-now.Sub(b.readAt))
}

// stuck tells whether the sends waited in vain for the whole patience.
func (b *ctBudget) stuck(now time.Time) error {
	if b.since.IsZero() || now.Sub(b.since) < b.patience {
		return nil
	}
	return fmt.Errorf("the prober's conntrack table stayed at %d entries or more (a run takes at most half of the %d free at its start) for %v: wait for its entries to expire, or raise net.netfilter.nf_conntrack_max",
		b.ceiling, b.free0, b.patience)
}

// total is the time the sends waited for room.
func (b *ctBudget) total(now time.Time) time.Duration {
	if b.since.IsZero() {
		return b.waited
	}
	return b.waited + now.Sub(b.since)
}
