package probe

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// connectTransport probes with non-blocking connect(), one socket per probe
// in flight. IP_RECVERR queues an ICMP rejection with its type and code
// even when it arrives while the kernel holds the socket (where a plain
// connect() keeps only a soft error and waits on), so a RST and a REJECT's
// port-unreachable are told apart. SO_LINGER 0 closes with a RST, so no
// TIME_WAIT piles up.
type connectTransport struct {
	env      *env
	bindSrc  bool
	out      chan answer
	done     chan struct{}
	mu       sync.Mutex
	conns    map[uint16]*os.File
	sentinel *os.File
	wg       sync.WaitGroup
}

func newConnectTransport(e *env) *connectTransport {
	return &connectTransport{
		env: e, bindSrc: len(e.opts.Sources) > 0 || e.opts.SourcePort != 0,
		out: make(chan answer, answerQueue), done: make(chan struct{}),
		conns: map[uint16]*os.File{},
	}
}

func (t *connectTransport) send(port uint16) error {
	fd, err := t.dial(port)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "probe-connect")
	t.mu.Lock()
	t.conns[port] = f
	if t.sentinel == nil {
		// kept open to the end: when the target's link address cannot be
		// resolved, the prober's kernel reports it (after ~3 s) only to
		// sockets that still exist
		t.sentinel = f
	}
	t.mu.Unlock()
	t.wg.Go(func() { t.wait(f, port) })
	return nil
}

// dial opens the socket and starts the handshake. ECONNREFUSED at once
// (loopback) is an answer like a later one, so it is left to wait.
func (t *connectTransport) dial(port uint16) (int, error) {
	fd, err := socketIn(t.env.ns, family(t.env.v6), unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	err = errors.Join(setRecvErr(fd, t.env.v6),
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}))
	if err == nil && t.bindSrc {
		err = t.bind(fd)
	}
	if err == nil {
		err = unix.Connect(fd, sockaddr(t.env.dst, port))
		if err == unix.EINPROGRESS || err == unix.ECONNREFUSED {
			err = nil
		}
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("connect: %w", err)
	}
	return fd, nil
}

// bind sets the source; many sockets share a fixed source port, each
// connected to another destination port (SO_REUSEADDR lets them).
func (t *connectTransport) bind(fd int) error {
	if t.env.opts.SourcePort != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
	}
	return bindSource(fd, t.env.src, t.env.opts.SourcePort)
}

// wait classifies the socket when the handshake ends; a socket closed by
// expire says nothing.
func (t *connectTransport) wait(f *os.File, port uint16) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	var r reply
	var done bool
	oob := make([]byte, 512)
	werr := rc.Write(func(fd uintptr) bool {
		r, done = t.state(int(fd), oob)
		return done
	})
	if werr != nil || !done {
		return
	}
	t.forget(port, f)
	if r.reason == reasonSelfConnect {
		t.again(port)
		return
	}
	r.port = port
	emit(t.out, t.done, answer{reply: r, at: time.Now()})
}

// reasonSelfConnect marks a socket that connected to itself: no answer.
const reasonSelfConnect = "self-connect"

// again probes port once more, from another socket, unless the transport
// is closing.
func (t *connectTransport) again(port uint16) {
	select {
	case <-t.done:
		return
	default:
	}
	if err := t.send(port); err != nil {
		r := t.failed(err)
		r.port = port
		emit(t.out, t.done, answer{reply: r, at: time.Now()})
	}
}

// state classifies a connecting socket; done is false while the handshake
// is still going on.
func (t *connectTransport) state(fd int, oob []byte) (reply, bool) {
	if q, ok := readErrQueue(fd, oob); ok {
		return t.queued(q), true
	}
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return t.failed(err), true
	}
	switch syscall.Errno(soerr) {
	case 0:
		return t.established(fd)
	case unix.ECONNREFUSED:
		// an ICMP error is queued before the error is set: look again
		if q, ok := readErrQueue(fd, oob); ok {
			return t.queued(q), true
		}
		return reply{state: Closed, reason: ReasonReset, from: t.env.dst}, true
	case unix.ECONNRESET, unix.EPIPE:
		// a RST after the handshake: the service accepted and closed
		return reply{state: Open, reason: ReasonSynAck, from: t.env.dst}, true
	case unix.ETIMEDOUT:
		return reply{}, false // the kernel gave up retrying; the engine's timeout decides
	}
	return t.failed(syscall.Errno(soerr)), true
}

func (t *connectTransport) established(fd int) (reply, bool) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return t.failed(err), true
	}
	if info.State != unix.BPF_TCP_ESTABLISHED {
		return reply{}, false
	}
	if selfConnected(fd) {
		return reply{reason: reasonSelfConnect}, true
	}
	return reply{state: Open, reason: ReasonSynAck, from: t.env.dst}, true
}

// selfConnected tells whether the socket connected to itself. A host
// probing its own address may be given the probed port as source port
// (about once a full scan of the ephemeral range), and the handshake then
// meets itself (TCP simultaneous open) with no service behind it.
func selfConnected(fd int) bool {
	local, err1 := unix.Getsockname(fd)
	peer, err2 := unix.Getpeername(fd)
	if err1 != nil || err2 != nil {
		return false
	}
	la, lp := addrPort(local)
	pa, pp := addrPort(peer)
	return la == pa && lp == pp
}

func (t *connectTransport) queued(q queuedError) reply {
	if !q.isICMP() {
		return t.failed(q.errno)
	}
	q.icmp.self = t.env.self(q.from)
	r := reply{from: q.from, ttl: q.ttl, icmp: true}
	r.state, r.reason, r.detail = q.icmp.classify(false)
	return r
}

// failed is an error the kernel gave without an ICMP behind it.
func (t *connectTransport) failed(err error) reply {
	return reply{state: Unknown, reason: ReasonLocalError, detail: fmt.Sprintf("connect: %v", err)}
}

func (t *connectTransport) forget(port uint16, f *os.File) {
	t.mu.Lock()
	if t.conns[port] == f {
		delete(t.conns, port)
	}
	keep := f == t.sentinel
	t.mu.Unlock()
	if !keep {
		f.Close()
	}
}

func (t *connectTransport) expire(port uint16) {
	t.mu.Lock()
	f := t.conns[port]
	t.mu.Unlock()
	if f != nil {
		t.forget(port, f)
	}
}

func (t *connectTransport) answers() <-chan answer { return t.out }

func (t *connectTransport) drops() uint64 { return 0 }

func (t *connectTransport) close() error {
	close(t.done)
	t.mu.Lock()
	fs := make([]*os.File, 0, len(t.conns)+1)
	for _, f := range t.conns {
		fs = append(fs, f)
	}
	fs = append(fs, t.sentinel)
	t.conns = nil
	t.mu.Unlock()
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
	t.wg.Wait()
	return nil
}
