package sockets_test

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
)

var update = flag.Bool("update", false, "rewrite testdata/proc/net from the lab")

// spec is a socket the test opens in the lab's target.
type spec struct {
	proto  string
	addr   string
	port   int
	v6only bool
	iface  string
	listen bool   // TCP: listen (else a bound socket, which is not listed)
	peer   string // connect to it: an established socket, not listed either
}

var specs = []spec{
	{proto: "tcp", addr: "::", port: 8080, listen: true}, // dual-stack
	{proto: "tcp", addr: "127.0.0.1", port: 631, listen: true},
	{proto: "tcp", addr: "::1", port: 631, v6only: true, listen: true},
	{proto: "tcp", addr: "198.18.0.1", port: 443, iface: "eth0", listen: true},
	{proto: "tcp", addr: "0.0.0.0", port: 7777}, // bound, not listening
	{proto: "udp", addr: "127.0.0.53", port: 5353},
	{proto: "udp", addr: "::", port: 5354}, // dual-stack
	{proto: "udp", addr: "2001:db8::1", port: 123, v6only: true},
	{proto: "tcp", addr: "127.0.0.1", peer: "127.0.0.1:631"},
	{proto: "udp", addr: "198.18.0.1", peer: "198.18.0.2:9"},
}

// openSpecs opens the sockets inside the target; they live until the test
// ends.
func openSpecs(t *testing.T, l *sandbox.Lab) {
	err := l.Do(l.Target, func() error {
		for _, s := range specs {
			fd, err := openSpec(s)
			if err != nil {
				return fmt.Errorf("%+v: %w", s, err)
			}
			t.Cleanup(func() { unix.Close(fd) })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func openSpec(s spec) (int, error) {
	v6 := strings.Contains(s.addr, ":")
	fam, typ := unix.AF_INET, unix.SOCK_STREAM
	if v6 {
		fam = unix.AF_INET6
	}
	if s.proto == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if v6 {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, b2i(s.v6only))
	}
	if err == nil && s.iface != "" {
		err = unix.BindToDevice(fd, s.iface)
	}
	if err == nil {
		err = unix.Bind(fd, sockaddr(s.addr, s.port))
	}
	if err == nil && s.listen {
		err = unix.Listen(fd, 16)
	}
	if err == nil && s.peer != "" {
		ap := netip.MustParseAddrPort(s.peer)
		err = unix.Connect(fd, sockaddr(ap.Addr().String(), int(ap.Port())))
	}
	if err != nil {
		unix.Close(fd)
	}
	return fd, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sockaddr(addr string, port int) unix.Sockaddr {
	ip := netipMust(addr)
	if ip.Is4() {
		return &unix.SockaddrInet4{Addr: ip.As4(), Port: port}
	}
	return &unix.SockaddrInet6{Addr: ip.As16(), Port: port}
}

// TestListMatchesSS lists the target's sockets and checks them, owners
// included, against ss -tulpn run in the same namespace.
func TestListMatchesSS(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	if err := l.Listen("tcp", []uint16{22}); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen("udp", []uint16{53}); err != nil {
		t.Fatal(err)
	}
	openSpecs(t, l)
	got, err := sockets.List(t.Context(), sockets.Options{Netns: l.Target})
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.Run(t.Context(), l.Target, nil, "ss", "-H", "-tulpn")
	if err != nil {
		t.Fatal(err)
	}
	want := parseSS(t, string(out))
	if g := keys(got.Sockets); !slices.Equal(g, want) {
		t.Errorf("listing differs from ss -tulpn:\n got %q\nwant %q", g, want)
	}
	checkDetails(t, got)
	if *update {
		writeFixtures(t, l)
	}
}

// key is protocol, local address as ss prints it, and owner pids.
func keys(ss []sockets.Socket) []string {
	var out []string
	for _, s := range ss {
		var pids []string
		for _, p := range s.Processes {
			pids = append(pids, fmt.Sprint(p.PID))
		}
		out = append(out, fmt.Sprintf("%s %s %s", s.Proto, s.Local(), strings.Join(pids, ",")))
	}
	slices.Sort(out)
	return out
}

var pidRE = regexp.MustCompile(`pid=(\d+)`)

func parseSS(t *testing.T, out string) []string {
	var keys []string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		var pids []string
		for _, m := range pidRE.FindAllStringSubmatch(line, -1) {
			pids = append(pids, m[1])
		}
		keys = append(keys, fmt.Sprintf("%s %s %s", f[0], f[4], strings.Join(pids, ",")))
	}
	slices.Sort(keys)
	return keys
}

// checkDetails checks what ss does not show: v6only, families served,
// users, process names and the namespace.
func checkDetails(t *testing.T, l *sockets.Listing) {
	t.Helper()
	self, _ := os.Executable()
	for _, s := range l.Sockets {
		if s.Netns != l.Netns.Inode || s.Netns == 0 || s.User != "root" || len(s.Processes) != 1 {
			t.Errorf("%s %s: netns %d (listing %d), user %q, processes %v", s.Proto, s.Local(), s.Netns, l.Netns.Inode, s.User, s.Processes)
			continue
		}
		if p := s.Processes[0]; p.PID != os.Getpid() || p.Exe != self {
			t.Errorf("%s %s: owner %+v, want this test (%d %s)", s.Proto, s.Local(), p, os.Getpid(), self)
		}
		dual := s.Family == "ipv6" && s.Addr.IsUnspecified() && s.Port == 8080 || s.Port == 5354
		if wantServes := map[bool]int{true: 2, false: 1}[dual]; len(s.Serves) != wantServes {
			t.Errorf("%s %s: serves %v", s.Proto, s.Local(), s.Serves)
		}
	}
	if l.Source != "sock_diag" {
		t.Errorf("source %q", l.Source)
	}
}

func writeFixtures(t *testing.T, l *sandbox.Lab) {
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6"} {
		out, err := l.Run(t.Context(), l.Target, nil, "cat", "/proc/net/"+name)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "testdata", "proc", "net", name)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
