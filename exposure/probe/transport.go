package probe

import (
	"slices"
	"time"
)

// transport sends one protocol's probes and hands back the answers; the
// engine decides what to send when.
type transport interface {
	// send sends one probe to port. An error means nothing left the host
	// (a local error): the port is tried again later.
	send(port uint16) error
	// expire says the engine stopped waiting for the last probe to port.
	expire(port uint16)
	answers() <-chan answer
	// drops counts replies the prober's receive queues dropped.
	drops() uint64
	close() error
}

// answerQueue is how many answers may wait for the engine.
const answerQueue = 8192

// answer is a validated reply, or a local failure of one attempt.
type answer struct {
	reply
	at    time.Time
	local error
}

// multiSender is a transport that sends many probes in one system call.
type multiSender interface {
	// sendMany sends probes to ports in order: how many went, and the
	// local error that stopped the rest.
	sendMany(ports []uint16) (int, error)
}

// holder is a transport whose own sockets hold ports it probes: a UDP
// socket of a host probing itself from the target address receives the
// datagram sent to its own port, so that port would read open.
type holder interface {
	held() []uint16
}

// heldPorts are the ports of want that t's sockets hold.
func heldPorts(t transport, want []uint16) []uint16 {
	h, ok := t.(holder)
	if !ok {
		return nil
	}
	var out []uint16
	for _, p := range h.held() {
		if slices.Contains(want, p) {
			out = append(out, p)
		}
	}
	return out
}

// sendAll sends probes to ports in order, in one call where the transport
// can.
func sendAll(t transport, ports []uint16) (int, error) {
	if m, ok := t.(multiSender); ok {
		return m.sendMany(ports)
	}
	for k, p := range ports {
		if err := t.send(p); err != nil {
			return k, err
		}
	}
	return len(ports), nil
}

// emit hands a to the engine unless the transport is closing.
func emit(out chan<- answer, done <-chan struct{}, a answer) {
	select {
	case out <- a:
	case <-done:
	}
}
