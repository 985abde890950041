package probe

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// udpTransport probes every port from one unconnected UDP socket. With
// IP_RECVERR the kernel queues each ICMP error on it, with the port of the
// datagram it answers (the error queue's address), so no socket per port
// is needed and no privilege either.
type udpTransport struct {
	env  *env
	f    *os.File
	fd   int
	port uint16 // the socket's own
	out  chan answer
	done chan struct{}
	ovfl atomic.Uint32
	wg   sync.WaitGroup
}

func newUDPTransport(e *env) (*udpTransport, error) {
	fd, err := socketIn(e.ns, family(e.v6), unix.SOCK_DGRAM, 0)
	if err != nil {
		return nil, err
	}
	err = errors.Join(setRecvErr(fd, e.v6), setReceiveQueue(fd), bindSource(fd, e.src, e.opts.SourcePort))
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("set up udp socket: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("set up udp socket: %w", err)
	}
	_, port := addrPort(sa)
	t := &udpTransport{env: e, fd: fd, port: port, f: os.NewFile(uintptr(fd), "probe-udp"),
		out: make(chan answer, answerQueue), done: make(chan struct{})}
	t.wg.Go(t.read)
	return t, nil
}

// send retries at once when the socket returns an earlier ICMP error
// instead of sending (the kernel reports an error once, on the next call).
func (t *udpTransport) send(port uint16) error {
	payload := udpPayload(port)
	var err error
	for range 4 {
		err = unix.Sendto(t.fd, payload, 0, sockaddr(t.env.dst, port))
		if err == nil || !pendingICMP(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// pendingICMP reports the errors an ICMP error leaves on a socket.
func pendingICMP(err error) bool {
	for _, e := range []error{unix.ECONNREFUSED, unix.EHOSTUNREACH, unix.ENETUNREACH, unix.EACCES, unix.EPROTO, unix.EHOSTDOWN, unix.ENONET, unix.ENOPROTOOPT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (t *udpTransport) read() {
	rc, err := t.f.SyscallConn()
	if err != nil {
		return
	}
	buf, oob := make([]byte, 2048), make([]byte, 512)
	rc.Read(func(fd uintptr) bool {
		for {
			errq := t.readErrors(int(fd), oob)
			if data := t.readData(int(fd), buf, oob); !errq && !data {
				return false
			}
		}
	})
}

// readErrors takes one ICMP error off the queue; false when it is empty.
func (t *udpTransport) readErrors(fd int, oob []byte) bool {
	q, ok := readErrQueue(fd, oob)
	if !ok {
		return false
	}
	if !q.isICMP() || q.dst != t.env.dst {
		return true
	}
	q.icmp.self = t.env.self(q.from)
	r := reply{port: q.port, from: q.from, ttl: q.ttl, icmp: true}
	r.state, r.reason, r.detail = q.icmp.classify(true)
	emit(t.out, t.done, answer{reply: r, at: time.Now()})
	return true
}

// readData takes one datagram; a datagram from the target's probed port
// means a service answered.
func (t *udpTransport) readData(fd int, buf, oob []byte) bool {
	_, noob, _, sa, err := unix.Recvmsg(fd, buf, oob, unix.MSG_DONTWAIT)
	switch {
	case pendingICMP(err):
		return true // reported through the error queue
	case err != nil:
		return false // EAGAIN, or wait for the next readiness
	}
	if v, ok := overflowFromCmsgs(oob[:noob]); ok {
		t.ovfl.Store(v)
	}
	from, port := addrPort(sa)
	if from == t.env.dst {
		r := reply{port: port, state: Open, reason: ReasonReply, from: from, ttl: ttlFromCmsgs(oob[:noob])}
		emit(t.out, t.done, answer{reply: r, at: time.Now()})
	}
	return true
}

// held is the socket's own port when the prober probes itself from the
// target address: the datagram sent there comes back to the socket.
func (t *udpTransport) held() []uint16 {
	if t.env.src != t.env.dst {
		return nil
	}
	return []uint16{t.port}
}

func (t *udpTransport) expire(uint16) {}

func (t *udpTransport) answers() <-chan answer { return t.out }

func (t *udpTransport) drops() uint64 { return uint64(t.ovfl.Load()) }

func (t *udpTransport) close() error {
	close(t.done)
	err := t.f.Close()
	t.wg.Wait()
	return err
}
