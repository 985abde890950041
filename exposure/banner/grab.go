package banner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"
)

// Banner is what one TCP port said.
type Banner struct {
	Port uint16 `json:"port"`
	// Text is the banner as one safe line (see the function Text).
	Text    string `json:"text"`
	Product string `json:"product,omitempty"`
	Version string `json:"version,omitempty"`
	OS      string `json:"os,omitempty"`
	// Sent is what the grab sent: "" or "\r\n".
	Sent string `json:"sent,omitempty"`
	// Error says why there is no banner: the connection failed, was reset
	// or was closed by the service before it said anything. A service
	// that stays silent is no error.
	Error string `json:"error,omitempty"`
}

// Options tunes a grab; the zero value is ready to use.
type Options struct {
	ConnectTimeout time.Duration // default 300ms
	ReadTimeout    time.Duration // each of the two waits for a banner; default 300ms
	Parallel       int           // GrabAll's connections at once; default 32
	Source         netip.Addr    // local address to dial from; zero lets the kernel pick
}

const (
	defaultTimeout  = 300 * time.Millisecond
	defaultParallel = 32
	// maxRead bounds what a grab reads: a greeting is a line or a few.
	maxRead = 1024
	// quietGap ends a read once a banner has begun and paused: a greeting
	// comes in one burst, and waiting out ReadTimeout for more would make
	// every grab as slow as one of a silent port.
	quietGap = 50 * time.Millisecond
)

// nudge is all a grab ever sends, and only to a port that said nothing:
// protocols where the client speaks first answer an empty line, often
// with an error that names the server, and no service takes it as a
// request that changes anything.
const nudge = "\r\n"

func (o Options) withDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = defaultTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = defaultTimeout
	}
	if o.Parallel <= 0 {
		o.Parallel = defaultParallel
	}
	return o
}

// Grab connects to addr:port over TCP and reads what the service says
// first; if it says nothing within ReadTimeout, Grab sends one "\r\n" and
// reads again. The Banner's Error holds what went wrong, if anything.
func Grab(ctx context.Context, addr netip.Addr, port uint16, opts Options) Banner {
	opts = opts.withDefaults()
	raw, sent, err := exchange(ctx, netip.AddrPortFrom(addr, port), opts)
	b := Banner{Port: port, Text: Text(raw), Sent: sent}
	b.Product, b.Version, b.OS = Identify(raw)
	if err != nil {
		b.Error = err.Error()
	}
	return b
}

// GrabAll grabs the banners of ports on addr, at most opts.Parallel at
// once, and returns one Banner per distinct port, in ascending port order.
func GrabAll(ctx context.Context, addr netip.Addr, ports []uint16, opts Options) []Banner {
	opts = opts.withDefaults()
	ports = slices.Compact(slices.Sorted(slices.Values(ports)))
	out := make([]Banner, len(ports))
	slots := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, port := range ports {
		slots <- struct{}{} // taken before the goroutine starts: a 65535-port list costs Parallel goroutines, not 65535
		wg.Go(func() {
			defer func() { <-slots }()
			out[i] = Grab(ctx, addr, port, opts)
		})
	}
	wg.Wait()
	return out
}

// exchange is one grab: the bytes read, what was sent, and why it failed.
func exchange(ctx context.Context, target netip.AddrPort, opts Options) ([]byte, string, error) {
	conn, err := dial(ctx, target, opts)
	if err != nil {
		return nil, "", err
	}
	defer closeNow(conn)
	// Closing on cancel wakes a blocked Read at once; a deadline would not
	// do, since the read loop sets its own.
	defer context.AfterFunc(ctx, func() { closeNow(conn) })()
	raw, err := readBanner(ctx, conn, opts.ReadTimeout)
	if len(raw) > 0 || err != nil {
		return raw, "", err
	}
	if err := sendNudge(conn, opts.ReadTimeout); err != nil {
		return nil, "", err
	}
	raw, err = readBanner(ctx, conn, opts.ReadTimeout)
	return raw, nudge, err
}

func dial(ctx context.Context, target netip.AddrPort, opts Options) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: -1}
	if opts.Source.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(opts.Source, 0))
	}
	conn, err := d.DialContext(ctx, "tcp", target.String())
	if err != nil {
		return nil, fmt.Errorf("banner: dial: %w", cause(err))
	}
	return conn.(*net.TCPConn), nil
}

// closeNow resets the connection rather than closing it: with SO_LINGER 0
// the kernel sends a RST and frees the socket, so a sweep of many ports
// leaves no TIME_WAIT behind on either side.
func closeNow(conn *net.TCPConn) {
	_ = conn.SetLinger(0)
	_ = conn.Close()
}

// readBanner reads until wait has passed, maxRead bytes have come, the
// service has closed, or a banner has begun and paused for quietGap.
func readBanner(ctx context.Context, conn net.Conn, wait time.Duration) ([]byte, error) {
	buf := make([]byte, 0, maxRead)
	deadline := time.Now().Add(wait)
	for len(buf) < maxRead {
		if err := conn.SetReadDeadline(deadline); err != nil {
			return buf, readEnd(ctx, buf, err)
		}
		n, err := conn.Read(buf[len(buf):maxRead])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, readEnd(ctx, buf, err)
		}
		if n > 0 {
			deadline = earlier(deadline, time.Now().Add(quietGap))
		}
	}
	return buf, nil
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

var errClosed = errors.New("banner: read: closed by the service before it sent anything")

// readEnd tells how a read that stopped on err ended. A timeout is the
// normal end, and so is any end once a banner has come: a reset after it
// takes nothing away.
func readEnd(ctx context.Context, buf []byte, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("banner: read: %w", context.Cause(ctx))
	case errors.Is(err, os.ErrDeadlineExceeded), len(buf) > 0:
		return nil
	case errors.Is(err, io.EOF):
		return errClosed
	}
	return fmt.Errorf("banner: read: %w", cause(err))
}

func sendNudge(conn net.Conn, wait time.Duration) error {
	if err := conn.SetWriteDeadline(time.Now().Add(wait)); err != nil {
		return fmt.Errorf("banner: write: %w", cause(err))
	}
	if _, err := io.WriteString(conn, nudge); err != nil {
		return fmt.Errorf("banner: write: %w", cause(err))
	}
	return nil
}

// cause strips the net package's wrappers from err: their text repeats
// the operation and the address, which the caller and the Banner already
// name ("connection refused", not "dial tcp 127.0.0.1:1: connect:
// connection refused"). errors.Is still sees the errno.
func cause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		err = op.Err
	}
	var sys *os.SyscallError
	if errors.As(err, &sys) {
		err = sys.Err
	}
	return err
}
