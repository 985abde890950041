package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// synTransport sends raw SYNs and reads the replies from a raw TCP and a
// raw ICMP socket. A TCP socket bound to the source port (the kernel's
// pick, or Options.SourcePort) holds it for the run, so nothing else on
// the prober uses it; it never listens, so the
// prober's kernel answers a SYN/ACK with a RST, and so do we: the target's
// half-open connection is reset either way.
type synTransport struct {
	codec synCodec
	v6    bool
	hold  int
	tcp   *os.File
	tcpFD int
	icmp  *os.File
	self  func(netip.Addr) bool // an ICMP error from the prober's own kernel
	out   chan answer
	done  chan struct{}
	buf   []byte
	batch *mmsgBatch
	ovfl  [2]atomic.Uint32
	wg    sync.WaitGroup
}

// canRaw reports whether raw sockets open in ns.
func canRaw(ns Netns, v6 bool) error {
	fd, err := socketIn(ns, family(v6), unix.SOCK_RAW, unix.IPPROTO_TCP)
	if err == nil {
		unix.Close(fd)
		return nil
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return ErrNoRawSocket
	}
	return err
}

func newSynTransport(e *env) (_ *synTransport, err error) {
	t := &synTransport{v6: e.v6, hold: -1, self: e.self, out: make(chan answer, answerQueue), done: make(chan struct{})}
	t.codec = synCodec{key: newCookieKey(), src: e.src, dst: e.dst}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	if t.codec.sport, err = t.holdPort(e); err != nil {
		return nil, err
	}
	if t.tcp, err = t.openTCP(e); err != nil {
		return nil, err
	}
	if t.icmp, err = t.openICMP(e); err != nil {
		return nil, err
	}
	t.start(t.tcp, 0, t.handleTCP)
	t.start(t.icmp, 1, t.handleICMP)
	return t, nil
}

func (t *synTransport) holdPort(e *env) (uint16, error) {
	fd, err := socketIn(e.ns, family(e.v6), unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, err
	}
	t.hold = fd
	if err := bindSource(fd, e.src, e.opts.SourcePort); err != nil {
		return 0, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("hold source port: %w", err)
	}
	_, port := addrPort(sa)
	return port, nil
}

func (t *synTransport) openTCP(e *env) (*os.File, error) {
	var filter []unix.SockFilter
	if e.v6 {
		filter = tcp6Filter(t.codec.sport)
	} else {
		filter = tcp4Filter(e.dst, t.codec.sport)
	}
	f, fd, err := openRaw(e, unix.IPPROTO_TCP, filter)
	if err == nil {
		err = bindSource(fd, e.src, 0)
	}
	t.tcpFD = fd
	return f, err
}

func (t *synTransport) openICMP(e *env) (*os.File, error) {
	proto, filter := unix.IPPROTO_ICMP, []unix.SockFilter(nil)
	if e.v6 {
		proto, filter = unix.IPPROTO_ICMPV6, icmp6Filter(e.dst, t.codec.sport)
	} else {
		filter = icmp4Filter(e.dst, t.codec.sport)
	}
	f, fd, err := openRaw(e, proto, filter)
	if err == nil && e.v6 {
		err = passOnlyErrors(fd)
	}
	return f, err
}

// openRaw opens a raw socket with its filter, a large receive queue and
// TTL delivery, wrapped for Go's poller.
func openRaw(e *env, proto int, filter []unix.SockFilter) (*os.File, int, error) {
	fd, err := socketIn(e.ns, family(e.v6), unix.SOCK_RAW, proto)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return nil, -1, ErrNoRawSocket
	}
	if err != nil {
		return nil, -1, err
	}
	err = errors.Join(attachFilter(fd, filter), setReceiveQueue(fd))
	if e.v6 {
		err = errors.Join(err, unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1))
	}
	if err != nil {
		unix.Close(fd)
		return nil, -1, fmt.Errorf("set up raw socket: %w", err)
	}
	return os.NewFile(uintptr(fd), "probe-raw"), fd, nil
}

// passOnlyErrors keeps neighbour discovery and echo off the ICMPv6 socket.
func passOnlyErrors(fd int) error {
	var f unix.ICMPv6Filter
	for i := range f.Data {
		f.Data[i] = 0xffffffff // block all
	}
	for _, typ := range []uint8{1, 3} { // unreachable, time exceeded
		f.Data[typ>>5] &^= 1 << (typ & 31)
	}
	return unix.SetsockoptICMPv6Filter(fd, unix.IPPROTO_ICMPV6, unix.ICMPV6_FILTER, &f)
}

func (t *synTransport) send(port uint16) error {
	t.buf = t.codec.syn(t.buf[:0], port)
	return sendRaw(t.tcpFD, t.buf, t.codec.dst)
}

// sendMany sends SYNs to ports in one sendmmsg call per batch.
func (t *synTransport) sendMany(ports []uint16) (int, error) {
	if t.batch == nil {
		t.batch = newMmsgBatch(sendChunk)
	}
	t.batch.reset()
	for _, p := range ports {
		t.batch.add(func(b []byte) []byte { return t.codec.syn(b, p) })
	}
	return t.batch.send(t.tcpFD, sockaddr(t.codec.dst, 0))
}

func sendRaw(fd int, pkt []byte, dst netip.Addr) error {
	err := unix.Sendto(fd, pkt, 0, sockaddr(dst, 0))
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

func (t *synTransport) expire(uint16) {}

func (t *synTransport) answers() <-chan answer { return t.out }

func (t *synTransport) drops() uint64 {
	return uint64(t.ovfl[0].Load()) + uint64(t.ovfl[1].Load())
}

func (t *synTransport) close() error {
	close(t.done)
	for _, f := range []*os.File{t.tcp, t.icmp} {
		if f != nil {
			f.Close()
		}
	}
	t.wg.Wait()
	if t.hold >= 0 {
		unix.Close(t.hold)
	}
	return nil
}

// start reads f until it is closed, handing each packet, its sender and
// control messages to handle.
func (t *synTransport) start(f *os.File, n int, handle func([]byte, netip.Addr, []byte)) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	t.wg.Go(func() {
		buf, oob := make([]byte, 1600), make([]byte, 256)
		rc.Read(func(fd uintptr) bool {
			for {
				nb, noob, _, sa, err := unix.Recvmsg(int(fd), buf, oob, 0)
				if err == unix.EAGAIN || err == unix.EINTR {
					return false
				}
				if err != nil {
					return true // closed
				}
				if v, ok := overflowFromCmsgs(oob[:noob]); ok {
					t.ovfl[n].Store(v)
				}
				from, _ := addrPort(sa)
				handle(buf[:nb], from, oob[:noob])
			}
		})
	})
}

func (t *synTransport) handleTCP(b []byte, from netip.Addr, oob []byte) {
	seg, ttl := b, ttlFromCmsgs(oob)
	if !t.v6 {
		p, ok := parseIPv4(b)
		if !ok || p.proto != protoTCP {
			return
		}
		seg, from, ttl = p.payload, p.src, p.ttl
	}
	if from != t.codec.dst {
		return
	}
	r, ok := t.codec.tcpReply(seg)
	if !ok {
		return
	}
	r.ttl = ttl
	if r.state == Open {
		sendRaw(t.tcpFD, t.codec.rst(nil, r.port), t.codec.dst) // the kernel sends one too
	}
	t.emit(r)
}

func (t *synTransport) handleICMP(b []byte, from netip.Addr, oob []byte) {
	msg, ttl := b, ttlFromCmsgs(oob)
	if !t.v6 {
		p, ok := parseIPv4(b)
		if !ok {
			return
		}
		msg, from, ttl = p.payload, p.src, p.ttl
	}
	e, inner, ok := parseICMPError(t.v6, msg)
	if !ok {
		return
	}
	e.self = t.self(from)
	if r, ok := t.codec.icmpReply(e, inner, from); ok {
		r.ttl = ttl
		t.emit(r)
	}
}

func (t *synTransport) emit(r reply) {
	emit(t.out, t.done, answer{reply: r, at: time.Now()})
}
