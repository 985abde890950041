package probe

import (
	"testing"
	"time"
)

func TestRTTEstimator(t *testing.T) {
	e := newRTTEstimator(time.Second, 50*time.Millisecond, 3*time.Second)
	if e.timeout() != time.Second {
		t.Errorf("initial %v", e.timeout())
	}
	for range 20 {
		e.sample(100 * time.Microsecond)
	}
	if e.timeout() != 50*time.Millisecond {
		t.Errorf("fast target: %v, want the minimum", e.timeout())
	}
	for range 20 {
		e.sample(2 * time.Second)
	}
	if to := e.timeout(); to <= 2*time.Second || to > 3*time.Second {
		t.Errorf("slow target: %v", to)
	}
}
