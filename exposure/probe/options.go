package probe

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"
)

// Mode says how TCP ports are probed. UDP always uses an unprivileged
// datagram socket, reported as ModeDatagram.
type Mode string

// The modes.
const (
	ModeAuto     Mode = "auto"     // syn when raw sockets can be opened, else connect
	ModeConnect  Mode = "connect"  // non-blocking connect(), no privilege needed
	ModeSyn      Mode = "syn"      // raw SYNs (CAP_NET_RAW)
	ModeDatagram Mode = "datagram" // UDP
)

// ErrNoRawSocket is returned for ModeSyn when the process may not open raw
// sockets.
var ErrNoRawSocket = errors.New("probe: syn mode needs raw sockets (root or CAP_NET_RAW)")

// ErrBadTarget wraps errors about the target or source the caller named.
var ErrBadTarget = errors.New("probe: bad target")

// ErrNoNeighbor is returned when the target answered no ARP or neighbour
// discovery: no probe reached it, so no port has a state. (An IPv6 target
// must accept ICMPv6 neighbour solicitations.)
var ErrNoNeighbor = errors.New("probe: the target did not answer ARP or neighbour discovery, so no probe reached it")

// ErrUnsupported is returned where the prober does not run (not Linux).
var ErrUnsupported = errors.New("probe: only supported on linux")

// Netns runs fn on a thread inside a network namespace, so that the sockets
// fn opens, and the /proc/thread-self/net and /proc/sys/net files it reads,
// belong to that namespace. sandbox.Lab.Do fits:
//
//	func(fn func() error) error { return lab.Do(lab.Prober, fn) }
type Netns func(fn func() error) error

// Here runs fn in the caller's namespace.
func Here(fn func() error) error { return fn() }

// Options tune a run. The zero value probes TCP in ModeAuto from the
// caller's namespace with the defaults below.
type Options struct {
	Mode Mode
	// Sources are the addresses to probe from, each an address of the
	// prober; none lets the route decide. Probes go out from each in
	// turn: a target that limits its answers per address (the kernel's
	// ICMP limit) answers n sources n times as fast. The target's rules
	// must treat them alike, or the ports' states depend on which one
	// probed them.
	Sources []netip.Addr
	// ProberNetns is where sockets are opened and the prober's limits read;
	// nil means the caller's namespace.
	ProberNetns Netns
	// TargetNetns, set only when the target's namespace is yours (a lab,
	// or this host probing itself), lets the run read the target's ICMP
	// rate-limit counters and so tell rate limiting from silence.
	TargetNetns Netns
	// MaxRate caps the send rate in packets per second (0: DefaultMaxRate).
	MaxRate float64
	// Retries is how many times a silent port is probed again; 0 means
	// DefaultRetries, a negative value none. More are added when replies
	// go missing.
	Retries int
	// MinTimeout and MaxTimeout bound the adaptive wait for an answer
	// (0: DefaultMinTimeout, DefaultMaxTimeout).
	MinTimeout, MaxTimeout time.Duration
	// RateLimitWait bounds the paced re-probing of the silent ports of
	// ranges whose answers were rate-limited (0: DefaultRateLimitWait;
	// negative: none). Ports still unsettled then are Unknown with
	// ReasonRateLimited.
	RateLimitWait time.Duration
	// SourcePort, when not 0, is the source port of every probe (nmap's
	// -g): rules that accept by source port (--sport 53) let such probes
	// in.
	SourcePort uint16
	// Paced lists port ranges whose answers the rules limit: their ports
	// are probed from the start at the rate stated, never in the fast
	// pass, so no answer is lost to the limit.
	Paced []Pace
	// Progress, if set, is called about ten times a second from the
	// probing goroutine; it must return quickly.
	Progress func(Progress)
}

// Pace is a port range whose answers a rule limits (an nft limit or
// iptables -m limit in front of a reject, the kernel's ICMP limit): the
// prober sends it no faster than PerSecond after a first Burst.
type Pace struct {
	Proto     string // "tcp" or "udp"
	From, To  uint16
	PerSecond float64
	Burst     int
	// Limit names the rule's limit; ranges with the same Limit share
	// one budget of answers, as the rule counts them together. Empty: a
	// limit of this range alone.
	Limit string
}

// Defaults.
const (
	DefaultMaxRate    = 1_000_000
	DefaultRetries    = 1
	DefaultMinTimeout = 50 * time.Millisecond
	DefaultMaxTimeout = 3 * time.Second
	// DefaultRateLimitWait covers 10,000 answers limited to 100 a second,
	// or a few hundred limited to one a second (the kernel's ICMP limit
	// per host).
	DefaultRateLimitWait = 3 * time.Minute

	initialTimeout = time.Second // RFC 6298's first RTO, until an answer is measured
	initialRate    = 10000       // packets per second, doubled while nothing is lost
	minRate        = 10
	maxRetries     = 4 // when replies go missing
	connectWindow  = 2048
	rawWindow      = 65536
	// neighborWait covers the prober's kernel giving up on ARP or
	// neighbour discovery (3 probes, 1 s apart).
	neighborWait = 3500 * time.Millisecond
)

// Progress is a snapshot of a running probe.
type Progress struct {
	Proto   string
	Total   int // ports to probe
	Probed  int // ports probed at least once
	Done    int // ports decided
	Sent    int // probes sent
	Open    int
	Elapsed time.Duration
	// Phase is "probing", or "rate-limited" while the silent ports of
	// rate-limited ranges are re-probed at the rate their answers allow.
	Phase string
}

func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = ModeAuto
	}
	if !(o.MaxRate > 0) || math.IsInf(o.MaxRate, 1) { // NaN too
		o.MaxRate = DefaultMaxRate
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.MinTimeout <= 0 {
		o.MinTimeout = DefaultMinTimeout
	}
	if o.MaxTimeout <= 0 {
		o.MaxTimeout = DefaultMaxTimeout
	}
	o.MaxTimeout = max(o.MaxTimeout, o.MinTimeout)
	if o.RateLimitWait == 0 {
		o.RateLimitWait = DefaultRateLimitWait
	}
	if o.ProberNetns == nil {
		o.ProberNetns = Here
	}
	return o
}

// Job is one protocol's ports.
type Job struct {
	Proto string // "tcp" or "udp"
	Ports []uint16
}

// checkTarget refuses targets that would reach more than the one host the
// user named.
func checkTarget(target netip.Addr, sources []netip.Addr) error {
	switch {
	case !target.IsValid() || target.IsUnspecified():
		return fmt.Errorf("%w: no address", ErrBadTarget)
	case target.Zone() != "":
		return fmt.Errorf("%w: %s: addresses with a zone are not supported", ErrBadTarget, target)
	case target.IsMulticast() || target == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%w: %s is a multicast or broadcast address, and probes go to one host", ErrBadTarget, target)
	}
	for i, s := range sources {
		switch {
		case s.Unmap().Is4() != target.Is4():
			return fmt.Errorf("%w: source %s and target %s differ in family", ErrBadTarget, s, target)
		case slices.Contains(sources[:i], s):
			return fmt.Errorf("%w: source %s given twice", ErrBadTarget, s)
		}
	}
	return nil
}

func checkJobs(jobs []Job, paced []Pace) error {
	for _, j := range jobs {
		if j.Proto != "tcp" && j.Proto != "udp" {
			return fmt.Errorf("probe: unknown protocol %q", j.Proto)
		}
	}
	for _, p := range paced {
		if (p.Proto != "tcp" && p.Proto != "udp") || p.From > p.To || p.PerSecond <= 0 {
			return fmt.Errorf("probe: pace %s %d-%d at %v/s: want tcp or udp, a range and a rate", p.Proto, p.From, p.To, p.PerSecond)
		}
	}
	return nil
}

// pacedFor returns the paces of proto.
func pacedFor(paced []Pace, proto string) []Pace {
	var out []Pace
	for _, p := range paced {
		if p.Proto == proto {
			out = append(out, p)
		}
	}
	return out
}
