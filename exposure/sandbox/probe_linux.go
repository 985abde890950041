package sandbox

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"

	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/internal/reject"
)

// Probe tests ports on the target from the prober namespace, up to
// l.Parallel ports at once, and returns one Result per port, in order.
//
// v6 picks the family. A zero dst is the target's first address of that
// family; a zero src leaves the choice to the kernel (the prober's primary
// address), any other src is bound. timeout (0 = DefaultTimeout) is the
// wait per attempt; silent UDP ports get a second attempt.
//
// Every socket has IP_RECVERR/IPV6_RECVERR set, so an ICMP error is read
// with its type, code and sender:
//   - TCP: handshake = probe.Open/"syn-ack"; RST = probe.Closed/"reset" (no listener or
//     reject with tcp reset); ICMP(v6) unreachable = probe.Rejected, Reason the
//     code ("port-unreachable", "admin-prohibited", ...). A TCP SYN never
//     draws a port-unreachable from the kernel itself, only from a REJECT.
//   - UDP: reply = probe.Open/"reply"; port-unreachable = probe.Closed (the kernel's
//     own answer and REJECT's default look alike); other unreachables =
//     probe.Rejected.
//   - silence = probe.Stealth/"no-response" (UDP: "no-response (open|filtered)").
//   - unanswered ARP/ND (the prober's own kernel reports host unreachable)
//     = probe.Stealth/"no-neighbor".
//
// Local errors (EADDRNOTAVAIL, EMFILE, ENOBUFS, ...) are retried and never
// become a port state; if they persist the Result is probe.Unknown with Err. So is
// everything else Probe cannot explain, and ports it had no time for when
// ctx ends.
func (l *Lab) Probe(ctx context.Context, v6 bool, proto string, src, dst netip.Addr, ports []uint16, timeout time.Duration) []Result {
	res := make([]Result, len(ports))
	for i, p := range ports {
		res[i] = Result{Port: p, State: probe.Unknown, Reason: probe.ReasonLocalError}
	}
	pr, err := l.newProber(v6, proto, src, dst, timeout)
	if err != nil {
		for i := range res {
			res[i].Err = err
		}
		return res
	}
	par := l.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(par, len(ports)) {
		wg.Go(func() {
			for i := range jobs {
				res[i] = pr.probe(ctx, ports[i])
			}
		})
	}
	feed(ctx, jobs, res)
	wg.Wait()
	return res
}

// ProbeFromPort is Probe from a fixed source port, the way a sender that
// picks its source port (nmap -g) probes: one port at a time, since every
// probe binds the same port.
func (l *Lab) ProbeFromPort(ctx context.Context, v6 bool, proto string, src netip.Addr, sport uint16, dst netip.Addr, ports []uint16, timeout time.Duration) []Result {
	res := make([]Result, len(ports))
	pr, err := l.newProber(v6, proto, src, dst, timeout)
	for i, p := range ports {
		res[i] = Result{Port: p, State: probe.Unknown, Reason: probe.ReasonLocalError, Err: err}
		if err == nil && ctx.Err() == nil {
			pr.sport = sport
			res[i] = pr.probe(ctx, p)
		}
	}
	return res
}

// ProbeOnce probes one port with a single packet: no second attempt for a
// silent UDP port, and, within a timeout under a second, no retransmitted
// SYN. A test that must know which packet met a rate limit needs it.
func (l *Lab) ProbeOnce(ctx context.Context, v6 bool, proto string, src, dst netip.Addr, port uint16, timeout time.Duration) Result {
	pr, err := l.newProber(v6, proto, src, dst, timeout)
	if err != nil {
		return Result{Port: port, State: probe.Unknown, Reason: probe.ReasonLocalError, Err: err}
	}
	return pr.once(ctx, port)
}

// feed hands out the indexes of res; when ctx ends first, the rest get its
// error.
func feed(ctx context.Context, jobs chan<- int, res []Result) {
	defer close(jobs)
	for i := range res {
		select {
		case jobs <- i:
		case <-ctx.Done():
			for ; i < len(res); i++ {
				res[i].Err = fmt.Errorf("probe: %w", ctx.Err())
			}
			return
		}
	}
}

// prober probes one address and protocol from the prober namespace.
type prober struct {
	lab      *Lab
	udp, v6  bool
	src, dst netip.Addr
	sport    uint16 // 0: the kernel picks an ephemeral one
	timeout  time.Duration
	own      map[netip.Addr]bool // the prober's addresses
}

func (l *Lab) newProber(v6 bool, proto string, src, dst netip.Addr, timeout time.Duration) (*prober, error) {
	if proto != "tcp" && proto != "udp" {
		return nil, fmt.Errorf("probe: unknown protocol %q", proto)
	}
	if !dst.IsValid() {
		dst = l.TargetAddr(v6)
	}
	if !dst.IsValid() || dst.Is6() != v6 || (src.IsValid() && src.Is6() != v6) {
		return nil, fmt.Errorf("probe: no usable address pair (src %v, dst %v, v6 %v)", src, dst, v6)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	own := map[netip.Addr]bool{}
	for _, p := range l.ProberAddrs {
		own[p.Addr()] = true
	}
	return &prober{lab: l, udp: proto == "udp", v6: v6, src: src, dst: dst.Unmap(), timeout: timeout, own: own}, nil
}

// Retries of local errors: attempts and the first back-off.
const (
	localAttempts = 6
	localBackoff  = 5 * time.Millisecond
)

// probe tests one port: local errors are retried with back-off, a silent
// UDP port once more.
func (p *prober) probe(ctx context.Context, port uint16) Result {
	if port == 0 {
		return Result{Port: port, State: probe.Unknown, Reason: probe.ReasonLocalError, Err: errors.New("probe: port 0")}
	}
	backoff := localBackoff
	silent := 0
	for try := 1; ; try++ {
		r := p.once(ctx, port)
		switch {
		case r.State == probe.Unknown && isLocal(r.Err) && try < localAttempts && ctx.Err() == nil:
			sleep(ctx, backoff)
			backoff *= 2
		case r.State == probe.Stealth && p.udp && r.Reason != reasonNoNeighbor && silent == 0:
			silent++
		default:
			return r
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// isLocal reports errors of the prober itself, worth a retry.
func isLocal(err error) bool {
	for _, e := range []error{unix.EADDRNOTAVAIL, unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM, unix.EAGAIN, unix.EADDRINUSE, unix.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// once makes one attempt on a fresh socket.
func (p *prober) once(ctx context.Context, port uint16) Result {
	r := Result{Port: port, State: probe.Unknown, Reason: probe.ReasonLocalError}
	f, err := p.dial(port)
	if err != nil {
		r.Err = fmt.Errorf("probe: %w", err)
		return r
	}
	defer f.Close()
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := f.SetDeadline(deadline); err != nil {
		r.Err = fmt.Errorf("probe: %w", err)
		return r
	}
	stop := context.AfterFunc(ctx, func() { f.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if p.udp {
		r = p.waitUDP(f, r)
	} else {
		r = p.waitTCP(f, r)
	}
	if r.State == probe.Stealth && ctx.Err() != nil {
		r = Result{Port: port, State: probe.Unknown, Reason: probe.ReasonLocalError, Err: fmt.Errorf("probe: %w", ctx.Err())}
	}
	return r
}

// dial creates the socket inside the prober namespace, binds it to src,
// connects it (TCP: sends the SYN; UDP: sends the probe datagram) and wraps
// it for Go's poller.
func (p *prober) dial(port uint16) (*os.File, error) {
	fd, err := p.socket()
	if err != nil {
		return nil, err
	}
	if err := p.connect(fd, port); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "probe"), nil
}

func (p *prober) socket() (int, error) {
	domain, typ, level, opt := unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_IP, unix.IP_RECVERR
	if p.v6 {
		domain, level, opt = unix.AF_INET6, unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	}
	if p.udp {
		typ = unix.SOCK_DGRAM
	}
	fd := -1
	err := p.lab.Do(p.lab.Prober, func() (err error) {
		fd, err = unix.Socket(domain, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	err = errors.Join(
		unix.SetsockoptInt(fd, level, opt, 1),
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}))
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("setsockopt: %w", err)
	}
	return fd, nil
}

// probePayload is the UDP probe datagram.
var probePayload = []byte("perimeter sandbox probe\n")

func (p *prober) connect(fd int, port uint16) error {
	if p.src.IsValid() || p.sport != 0 {
		if err := p.bind(fd); err != nil {
			return err
		}
	}
	err := unix.Connect(fd, sockaddr(p.dst, port))
	if !p.udp {
		if err != nil && err != unix.EINPROGRESS {
			return fmt.Errorf("connect: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}

// bind binds the probe to its source address and port; a fixed port is
// reused at once by the next probe (SO_REUSEADDR).
func (p *prober) bind(fd int) error {
	src := p.src
	if !src.IsValid() {
		src = netip.IPv4Unspecified()
		if p.v6 {
			src = netip.IPv6Unspecified()
		}
	}
	if p.sport != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return fmt.Errorf("setsockopt: %w", err)
		}
	}
	if err := unix.Bind(fd, sockaddr(src, p.sport)); err != nil {
		return fmt.Errorf("bind %s: %w", netip.AddrPortFrom(src, p.sport), err)
	}
	return nil
}

func sockaddr(a netip.Addr, port uint16) unix.Sockaddr {
	if a.Is4() {
		return &unix.SockaddrInet4{Addr: a.As4(), Port: int(port)}
	}
	return &unix.SockaddrInet6{Addr: a.As16(), Port: int(port)}
}

// waitTCP waits for the handshake to finish or fail.
func (p *prober) waitTCP(f *os.File, r Result) Result {
	rc, err := f.SyscallConn()
	if err != nil {
		r.Err = err
		return r
	}
	var done bool
	werr := rc.Write(func(fd uintptr) bool {
		r, done = p.tcpState(int(fd), r)
		return done
	})
	if done {
		return r
	}
	if errors.Is(werr, os.ErrDeadlineExceeded) {
		r.State, r.Reason, r.Err = probe.Stealth, probe.ReasonNoResponse, nil
		return r
	}
	r.Err = fmt.Errorf("probe: wait: %w", werr)
	return r
}

// tcpState classifies a connecting socket now; done is false while the
// handshake is still going on.
func (p *prober) tcpState(fd int, r Result) (Result, bool) {
	if e, ok := readErrQueue(fd); ok {
		return p.icmpResult(e, r), true
	}
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		r.Err = fmt.Errorf("probe: so_error: %w", err)
		return r, true
	case soerr == int(unix.ECONNREFUSED): // RST in SYN_SENT
		r.State, r.Reason, r.From = probe.Closed, probe.ReasonReset, p.dst
		return r, true
	case soerr == int(unix.ECONNRESET) || soerr == int(unix.EPIPE):
		// RST (or FIN, RST) after the handshake: the stand-in listener
		// accepted and closed before we looked
		r.State, r.Reason, r.From = probe.Open, probe.ReasonSynAck, p.dst
		return r, true
	case soerr != 0:
		r.Err = fmt.Errorf("probe: connect: %w", syscall.Errno(soerr))
		return r, true
	}
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		r.Err = fmt.Errorf("probe: tcp_info: %w", err)
		return r, true
	}
	if info.State != unix.BPF_TCP_ESTABLISHED {
		return r, false
	}
	r.State, r.Reason, r.From = probe.Open, probe.ReasonSynAck, p.dst
	return r, true
}

// waitUDP sends the probe datagram and waits for a reply or an error.
func (p *prober) waitUDP(f *os.File, r Result) Result {
	rc, err := f.SyscallConn()
	if err != nil {
		r.Err = err
		return r
	}
	var done bool
	buf := make([]byte, 512)
	var serr error
	rc.Write(func(fd uintptr) bool {
		_, serr = unix.Write(int(fd), probePayload)
		return serr != unix.EAGAIN
	})
	if serr != nil {
		r.Err = fmt.Errorf("probe: send: %w", serr)
		return r
	}
	rerr := rc.Read(func(fd uintptr) bool {
		r, done = p.udpState(int(fd), buf, r)
		return done
	})
	if done {
		return r
	}
	if errors.Is(rerr, os.ErrDeadlineExceeded) {
		r.State, r.Reason, r.Err = probe.Stealth, reasonNoResponseUDP, nil
		return r
	}
	r.Err = fmt.Errorf("probe: wait: %w", rerr)
	return r
}

func (p *prober) udpState(fd int, buf []byte, r Result) (Result, bool) {
	if e, ok := readErrQueue(fd); ok {
		return p.icmpResult(e, r), true
	}
	_, err := unix.Read(fd, buf)
	switch {
	case err == nil:
		r.State, r.Reason, r.From = probe.Open, probe.ReasonReply, p.dst
	case err == unix.EAGAIN || err == unix.EINTR:
		return r, false
	case err == unix.ECONNREFUSED: // no ICMP details; still a port unreachable
		r.State, r.Reason = probe.Closed, probe.ReasonPortUnreachable
	default:
		r.Err = fmt.Errorf("probe: recv: %w", err)
	}
	return r, true
}

// icmpErr is one entry of a socket's error queue.
type icmpErr struct {
	errno     syscall.Errno
	origin    uint8
	typ, code uint8
	from      netip.Addr
}

// readErrQueue returns the first ICMP or ICMPv6 entry of the socket's
// error queue, emptying the queue.
func readErrQueue(fd int) (icmpErr, bool) {
	var first icmpErr
	found := false
	var b [64]byte
	var oob [512]byte
	for {
		_, oobn, _, _, err := unix.Recvmsg(fd, b[:], oob[:], unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if err != nil {
			return first, found
		}
		if e, ok := parseErrCmsg(oob[:oobn]); ok && !found {
			first, found = e, true
		}
	}
}

func parseErrCmsg(oob []byte) (icmpErr, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return icmpErr{}, false
	}
	for _, m := range msgs {
		v4 := m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_RECVERR
		v6 := m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_RECVERR
		if (v4 || v6) && len(m.Data) >= 16 {
			return decodeExtErr(m.Data), true
		}
	}
	return icmpErr{}, false
}

// decodeExtErr decodes struct sock_extended_err and the offender address
// that follows it.
func decodeExtErr(d []byte) icmpErr {
	e := icmpErr{
		errno:  syscall.Errno(nativeUint32(d[0:4])),
		origin: d[4], typ: d[5], code: d[6],
	}
	off := d[16:]
	if len(off) < 2 {
		return e
	}
	switch binary.NativeEndian.Uint16(off) {
	case unix.AF_INET:
		if len(off) >= 8 {
			e.from = netip.AddrFrom4([4]byte(off[4:8]))
		}
	case unix.AF_INET6:
		if len(off) >= 24 {
			e.from = netip.AddrFrom16([16]byte(off[8:24])).Unmap()
		}
	}
	return e
}

func nativeUint32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }

const reasonNoNeighbor = "no-neighbor"

// icmpResult classifies an error-queue entry.
func (p *prober) icmpResult(e icmpErr, r Result) Result {
	r.From = e.from
	unreach := (e.origin == unix.SO_EE_ORIGIN_ICMP && e.typ == 3) ||
		(e.origin == unix.SO_EE_ORIGIN_ICMP6 && e.typ == 1)
	name := icmpName(e)
	switch {
	case !unreach:
		r.State, r.Reason = probe.Unknown, name
		r.Err = fmt.Errorf("probe: %s (%v) from %v", name, e.errno, e.from)
	case p.own[e.from] && (name == "host-unreachable" || name == "addr-unreachable"):
		// our own kernel gave up resolving the target's link address
		r.State, r.Reason = probe.Stealth, reasonNoNeighbor
	case p.own[e.from]:
		r.State, r.Reason = probe.Unknown, name
		r.Err = fmt.Errorf("probe: local %s (%v)", name, e.errno)
	case name == probe.ReasonPortUnreachable && p.udp:
		r.State, r.Reason = probe.Closed, name
	default:
		r.State, r.Reason = probe.Rejected, name
	}
	return r
}

// icmpName names an unreachable code the way nft does.
func icmpName(e icmpErr) string {
	switch e.origin {
	case unix.SO_EE_ORIGIN_ICMP:
		return reject.ICMPName(false, e.typ, e.code)
	case unix.SO_EE_ORIGIN_ICMP6:
		return reject.ICMPName(true, e.typ, e.code)
	}
	return fmt.Sprintf("error-origin-%d", e.origin)
}
