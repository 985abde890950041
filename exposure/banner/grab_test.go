package banner

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The services below listen on 127.0.0.1 only: a grab is tested against
// nothing but listeners this test starts.
var loopback = netip.MustParseAddr("127.0.0.1")

const (
	sshGreeting = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"
	http400     = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nServer: nginx/1.18.0 (Ubuntu)\r\nConnection: close\r\n\r\n400 Bad Request"
)

// visit is what a stub service saw of one connection.
type visit struct {
	from     netip.AddrPort
	received []byte
	end      error // how reading ended
}

type stub struct {
	port   uint16
	visits chan visit
}

// listen starts a stub service on 127.0.0.1: it sends greeting on
// connect, answers reply (then closes) once it has received a line end,
// and otherwise only reads.
func listen(t *testing.T, greeting, reply string) *stub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &stub{port: uint16(ln.Addr().(*net.TCPAddr).Port), visits: make(chan visit, 16)}
	go s.serve(ln, greeting, reply)
	return s
}

func (s *stub) serve(ln net.Listener, greeting, reply string) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go s.handle(conn, greeting, reply)
	}
}

func (s *stub) handle(conn net.Conn, greeting, reply string) {
	defer conn.Close()
	v := visit{from: conn.RemoteAddr().(*net.TCPAddr).AddrPort()}
	defer func() { s.visits <- v }()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte(greeting))
	buf := make([]byte, 64)
	for {
		n, err := conn.Read(buf)
		v.received = append(v.received, buf[:n]...)
		if err != nil {
			v.end = err
			return
		}
		if reply != "" && bytes.HasSuffix(v.received, []byte("\n")) {
			conn.Write([]byte(reply))
			return
		}
	}
}

// visit waits for the stub's record of the connection a grab made.
func (s *stub) visit(t *testing.T) visit {
	t.Helper()
	select {
	case v := <-s.visits:
		return v
	case <-time.After(3 * time.Second):
		t.Fatalf("tcp/%d: the stub saw no connection end", s.port)
		return visit{}
	}
}

// closedPort is a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	return port
}

func TestGrabGreeting(t *testing.T) {
	s := listen(t, sshGreeting, "")
	b := Grab(t.Context(), loopback, s.port, Options{})
	want := Banner{Port: s.port, Text: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", Product: "OpenSSH", Version: "8.9p1", OS: "Ubuntu"}
	if b != want {
		t.Errorf("Grab = %+v, want %+v", b, want)
	}
	v := s.visit(t)
	if len(v.received) != 0 {
		t.Errorf("a service that greets was sent %q", v.received)
	}
	// SO_LINGER 0: the service sees a reset, not an orderly close, and no
	// TIME_WAIT is left.
	if !errors.Is(v.end, syscall.ECONNRESET) {
		t.Errorf("the service's read ended with %v, want a reset", v.end)
	}
}

func TestGrabNudge(t *testing.T) {
	s := listen(t, "", http400)
	b := Grab(t.Context(), loopback, s.port, Options{})
	want := Banner{
		Port: s.port, Text: "HTTP/1.1 400 Bad Request | Server: nginx/1.18.0 (Ubuntu)",
		Product: "nginx", Version: "1.18.0", OS: "Ubuntu", Sent: "\r\n",
	}
	if b != want {
		t.Errorf("Grab = %+v, want %+v", b, want)
	}
	if v := s.visit(t); string(v.received) != "\r\n" {
		t.Errorf("the service received %q, want only \"\\r\\n\"", v.received)
	}
}

func TestGrabSilent(t *testing.T) {
	s := listen(t, "", "")
	start := time.Now()
	b := Grab(t.Context(), loopback, s.port, Options{})
	if want := (Banner{Port: s.port, Sent: "\r\n"}); b != want {
		t.Errorf("Grab = %+v, want %+v", b, want)
	}
	if d := time.Since(start); d < 2*defaultTimeout || d > 2*defaultTimeout+400*time.Millisecond {
		t.Errorf("a silent port took %v, want about two read timeouts", d)
	}
	if v := s.visit(t); string(v.received) != "\r\n" {
		t.Errorf("the service received %q, want only \"\\r\\n\"", v.received)
	}
}

func TestGrabClosedPort(t *testing.T) {
	port := closedPort(t)
	b := Grab(t.Context(), loopback, port, Options{})
	if b.Error != "banner: dial: connection refused" || b.Text != "" || b.Sent != "" || b.Product != "" {
		t.Errorf("Grab of a closed port = %+v, want only Error %q", b, "banner: dial: connection refused")
	}
}

// TestGrabClosedByService: a service that accepts and closes at once is
// not sent the newline, and says so.
func TestGrabClosedByService(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
		}
	}()
	b := Grab(t.Context(), loopback, uint16(ln.Addr().(*net.TCPAddr).Port), Options{})
	if b.Error != errClosed.Error() || b.Sent != "" {
		t.Errorf("Grab = %+v, want Error %q and nothing sent", b, errClosed)
	}
}

func TestGrabSource(t *testing.T) {
	s := listen(t, sshGreeting, "")
	b := Grab(t.Context(), loopback, s.port, Options{Source: loopback})
	if b.Product != "OpenSSH" || b.Error != "" {
		t.Errorf("Grab from %v = %+v", loopback, b)
	}
	if v := s.visit(t); v.from.Addr() != loopback {
		t.Errorf("the service saw a connection from %v, want %v", v.from, loopback)
	}
}

// TestGrabCancel: a cancel ends a grab blocked in a read at once, and
// nothing is sent after it.
func TestGrabCancel(t *testing.T) {
	s := listen(t, "", "")
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	b := Grab(ctx, loopback, s.port, Options{ReadTimeout: 5 * time.Second})
	if d := time.Since(start); d > time.Second {
		t.Errorf("a cancelled grab took %v", d)
	}
	if !strings.Contains(b.Error, "deadline exceeded") || b.Sent != "" {
		t.Errorf("Grab = %+v, want a deadline error and nothing sent", b)
	}
	if v := s.visit(t); len(v.received) != 0 {
		t.Errorf("the service received %q", v.received)
	}
}

func TestGrabCancelledBeforeDial(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	b := Grab(ctx, loopback, closedPort(t), Options{})
	if !strings.HasPrefix(b.Error, "banner: dial: ") || !strings.Contains(b.Error, "cancel") {
		t.Errorf("Grab = %+v, want a dial error saying cancelled", b)
	}
}

// TestGrabAll: ten ports, greeting, nudged, silent and closed, take about
// two read timeouts together and come back in port order, once each.
func TestGrabAll(t *testing.T) {
	var ports []uint16
	want := map[uint16]Banner{}
	for range 3 {
		s := listen(t, sshGreeting, "")
		ports = append(ports, s.port)
		want[s.port] = Banner{Port: s.port, Text: strings.TrimSpace(sshGreeting), Product: "OpenSSH", Version: "8.9p1", OS: "Ubuntu"}
		s = listen(t, "", http400)
		ports = append(ports, s.port)
		want[s.port] = Banner{Port: s.port, Text: "HTTP/1.1 400 Bad Request | Server: nginx/1.18.0 (Ubuntu)", Product: "nginx", Version: "1.18.0", OS: "Ubuntu", Sent: "\r\n"}
		s = listen(t, "", "")
		ports = append(ports, s.port)
		want[s.port] = Banner{Port: s.port, Sent: "\r\n"}
	}
	closed := closedPort(t)
	want[closed] = Banner{Port: closed, Error: "banner: dial: connection refused"}
	ports = append(ports, closed, ports[0]) // a duplicate

	start := time.Now()
	got := GrabAll(t.Context(), loopback, ports, Options{})
	elapsed := time.Since(start)
	t.Logf("GrabAll of %d ports took %v", len(got), elapsed)
	if elapsed >= time.Second {
		t.Errorf("GrabAll took %v, want well under 1s", elapsed)
	}
	checkGrabAll(t, got, want)
}

func checkGrabAll(t *testing.T, got []Banner, want map[uint16]Banner) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("GrabAll returned %d banners, want %d", len(got), len(want))
	}
	if !slices.IsSortedFunc(got, func(a, b Banner) int { return int(a.Port) - int(b.Port) }) {
		t.Errorf("GrabAll's banners are not in port order")
	}
	for _, b := range got {
		if b != want[b.Port] {
			t.Errorf("tcp/%d: %+v, want %+v", b.Port, b, want[b.Port])
		}
	}
}

// TestGrabAllParallel: with Parallel 1 the grabs run one after another,
// and a greeting grab lasts at least quietGap.
func TestGrabAllParallel(t *testing.T) {
	var ports []uint16
	for range 4 {
		ports = append(ports, listen(t, sshGreeting, "").port)
	}
	start := time.Now()
	GrabAll(t.Context(), loopback, ports, Options{Parallel: 1})
	if d := time.Since(start); d < 4*quietGap {
		t.Errorf("4 grabs one at a time took %v, less than 4×%v", d, quietGap)
	}
}
