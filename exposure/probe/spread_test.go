package probe

import (
	"errors"
	"testing"
	"time"
)

// TestSpreadSources: three sources, each behind its own ICMP limit, as a
// target's kernel keeps one per address. The range comes out exact, and
// every source's limit gave answers to the paced bursts, not only the
// first's.
func TestSpreadSources(t *testing.T) {
	var limits []*bucket
	var ts []transport
	for range 3 {
		b := newBucket(6, 5)
		limits, ts = append(limits, b), append(ts, limitedTarget(b, 100, 159, portUnr))
	}
	s := newSpread(ts)
	defer s.close()
	res, st := newEngine(s, portList(1, 1000), testConfig()).run(t.Context())
	checkLimited(t, res, 100, 159, Rejected)
	if len(st.RateLimited) != 1 {
		t.Errorf("limited ranges %+v", st.RateLimited)
	}
	t.Logf("stats %+v", st)
	for n, b := range limits {
		if b.allowed < 12 {
			t.Errorf("source %d's limit let %d answers through of the range's 60: the paced bursts did not take turns", n, b.allowed)
		}
	}
}

// TestSpreadSendMany: what went is a prefix of the ports even when a
// source fails part way.
func TestSpreadSendMany(t *testing.T) {
	ok, failing := newFake(nil), newFake(nil)
	failing.sendErr = func(port uint16, _ int) error {
		if port == 8 {
			return errors.New("no buffer space")
		}
		return nil
	}
	ok.respond = func(uint16, int) (reply, time.Duration, bool) { return reply{}, 0, false }
	failing.respond = ok.respond
	s := newSpread([]transport{ok, failing})
	defer s.close()
	n, err := s.sendMany(portList(1, 10))
	if n != 7 || err == nil {
		t.Errorf("sent %d, %v; want 7 and the error", n, err)
	}
	if ok.tries[5] != 1 || failing.tries[6] != 1 || ok.tries[6] != 0 {
		t.Errorf("ports not dealt in runs: %v %v", ok.tries, failing.tries)
	}
}
