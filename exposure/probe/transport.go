package probe

import "time"

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

// answer is a validated reply, or a local failure of one attempt.
type answer struct {
	reply
	at    time.Time
	local error
}
