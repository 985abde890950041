package probe

import (
	"errors"
	"sync"
)

// spread probes from several source addresses, one transport each: probes
// go out from each in turn and the answers come back merged. A target's
// kernel limits its ICMP errors per address it sends them to (Linux: 6 at
// once, then one a second each), so n sources hear n times as many.
type spread struct {
	ts   []transport
	turn int
	out  chan answer
	done chan struct{}
	wg   sync.WaitGroup
}

// sourced is a transport that sends from more than one address.
type sourced interface {
	sources() int
	// sendFrom sends one probe to port from the n-th source.
	sendFrom(n int, port uint16) error
}

func newSpread(ts []transport) *spread {
	s := &spread{ts: ts, out: make(chan answer, answerQueue), done: make(chan struct{})}
	for _, t := range ts {
		s.wg.Go(func() { s.forward(t.answers()) })
	}
	return s
}

func (s *spread) forward(in <-chan answer) {
	for {
		select {
		case a := <-in:
			emit(s.out, s.done, a)
		case <-s.done:
			return
		}
	}
}

func (s *spread) sources() int { return len(s.ts) }

func (s *spread) held() []uint16 {
	var out []uint16
	for _, t := range s.ts {
		if h, ok := t.(holder); ok {
			out = append(out, h.held()...)
		}
	}
	return out
}

func (s *spread) sendFrom(n int, port uint16) error { return s.ts[n].send(port) }

// next is the source whose turn it is.
func (s *spread) next() transport {
	t := s.ts[s.turn%len(s.ts)]
	s.turn++
	return t
}

func (s *spread) send(port uint16) error { return s.next().send(port) }

// sendMany deals ports out in as many runs as there are sources; a run
// that fails stops the rest, so what went is still a prefix of ports.
func (s *spread) sendMany(ports []uint16) (int, error) {
	size := (len(ports) + len(s.ts) - 1) / len(s.ts)
	sent := 0
	for len(ports) > 0 {
		k := min(size, len(ports))
		n, err := sendAll(s.next(), ports[:k])
		sent += n
		if err != nil {
			return sent, err
		}
		ports = ports[k:]
	}
	return sent, nil
}

// expire tells every source: the engine does not say which one sent.
func (s *spread) expire(port uint16) {
	for _, t := range s.ts {
		t.expire(port)
	}
}

func (s *spread) answers() <-chan answer { return s.out }

func (s *spread) drops() uint64 {
	var n uint64
	for _, t := range s.ts {
		n += t.drops()
	}
	return n
}

func (s *spread) close() error {
	close(s.done)
	s.wg.Wait()
	var errs []error
	for _, t := range s.ts {
		errs = append(errs, t.close())
	}
	return errors.Join(errs...)
}
