package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/perimeter-dev/perimeter/internal/quote"
)

// statusDelay is how long work runs before its status line shows.
const statusDelay = time.Second

// status draws one line on a terminal, redrawn every tick, once work has
// lasted statusDelay: what is being done and since when. Off a terminal
// it draws nothing.
type status struct {
	w     io.Writer
	delay time.Duration
	start time.Time
	mu    sync.Mutex
	what  string
	drawn bool
	stop  chan struct{}
	done  chan struct{}
}

func startStatus(w io.Writer) *status {
	return newStatus(w, isTerminal(w), statusDelay)
}

// newStatus draws on w when on is set, once delay has passed.
func newStatus(w io.Writer, on bool, delay time.Duration) *status {
	s := &status{w: w, delay: delay, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	if !on {
		close(s.done)
		return s
	}
	go s.loop()
	return s
}

// set says what is being done now.
func (s *status) set(format string, args ...any) {
	s.mu.Lock()
	s.what = fmt.Sprintf(format, args...)
	s.mu.Unlock()
}

func (s *status) loop() {
	defer close(s.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.draw()
		}
	}
}

func (s *status) draw() {
	elapsed := time.Since(s.start)
	s.mu.Lock()
	defer s.mu.Unlock()
	if elapsed < s.delay || s.what == "" {
		return
	}
	fmt.Fprintf(s.w, "\r\033[K%s (%.0fs)", quote.Line(s.what), elapsed.Seconds())
	s.drawn = true
}

// end stops drawing and clears the line.
func (s *status) end() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn {
		fmt.Fprint(s.w, "\r\033[K")
		s.drawn = false
	}
}
