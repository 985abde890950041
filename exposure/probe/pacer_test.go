package probe

import (
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPacer(1000, 10, 1e6, now)
	sent := 0
	for i := range 100 { // one second in 10 ms steps, always using every token
		now = now.Add(10 * time.Millisecond)
		n := p.allow(now)
		for range n {
			p.spend()
		}
		sent += n
		if i == 50 {
			p.loss(now)
		}
	}
	if p.peak <= 1000 || p.backoffs != 1 || sent < 1000 {
		t.Errorf("peak %v backoffs %d sent %d", p.peak, p.backoffs, sent)
	}
	p.pause(now, time.Second)
	if p.allow(now.Add(500*time.Millisecond)) != 0 || p.wait(now) != time.Second {
		t.Error("pause not kept")
	}
}
