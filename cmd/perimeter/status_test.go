package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the status line's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStatus: on a terminal the status line says what is being done,
// escaped, and is cleared at the end; off a terminal nothing is drawn.
func TestStatus(t *testing.T) {
	var on syncBuffer
	s := newStatus(&on, true, 0)
	s.set("reading %s: %d%%", "a\x1bb.v4", 40)
	time.Sleep(500 * time.Millisecond)
	s.end()
	s.end() // twice is harmless
	got := on.String()
	if !strings.Contains(got, "\r\033[Kreading a\\x1bb.v4: 40% (0s)") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("status drawn as %q", got)
	}
	var off syncBuffer
	s = newStatus(&off, false, 0)
	s.set("predicting")
	time.Sleep(300 * time.Millisecond)
	s.end()
	if off.String() != "" {
		t.Errorf("drawn off a terminal: %q", off.String())
	}
}
