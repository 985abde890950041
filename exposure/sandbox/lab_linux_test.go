package sandbox_test

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"

	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"github.com/vishvananda/netns"
)

// namespaces lists the named network namespaces.
func namespaces(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

func TestCloseRemovesNamespaces(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	if !strings.HasPrefix(l.Target, sandbox.NamePrefix) || !strings.HasSuffix(l.Target, "-t") || !strings.HasSuffix(l.Prober, "-p") {
		t.Errorf("names %q %q", l.Target, l.Prober)
	}
	listen(t, l, "tcp", 22)
	listen(t, l, "udp", 53)
	ns := namespaces(t)
	if !slices.Contains(ns, l.Target) || !slices.Contains(ns, l.Prober) {
		t.Fatalf("lab namespaces missing from %v", ns)
	}
	var files []*os.File
	for _, n := range []string{l.Target, l.Prober} {
		if !lockHeld(t, n) {
			t.Errorf("%s not locked", n)
		}
		f := openNetns(t, n)
		defer f.Close()
		files = append(files, f)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			t.Errorf("%s still locked after Close: %v", f.Name(), err)
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	ns = namespaces(t)
	if slices.Contains(ns, l.Target) || slices.Contains(ns, l.Prober) {
		t.Errorf("namespaces left after Close: %v", ns)
	}
	if _, err := l.Run(t.Context(), l.Target, nil, "true"); err == nil {
		t.Error("Run after Close: no error")
	}
	if err := l.Do(l.Target, func() error { return nil }); err == nil {
		t.Error("Do after Close: no error")
	}
}

// helperEnv makes the test binary act as a child that creates a lab, prints
// its namespaces, and then fails ("fail") or dies without cleanups ("kill").
const helperEnv = "PERIMETER_SANDBOX_HELPER"

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper for TestCleanupAfterFailure and TestSweep")
	}
	t.Run("sub", func(t *testing.T) {
		l := labtest.NewTestLab(t, sandbox.Config{})
		listen(t, l, "tcp", 22)
		os.Stdout.WriteString("LAB " + l.Target + " " + l.Prober + "\n")
		if mode == "kill" {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		t.Fatal("failing on purpose")
	})
}

// runHelper runs the helper child and returns the lab's namespace names.
func runHelper(t *testing.T, mode string) []string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	out, err := cmd.Output()
	if err == nil {
		t.Fatalf("helper %s succeeded:\n%s", mode, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "LAB" {
			return f[1:]
		}
	}
	t.Fatalf("helper %s printed no lab: %v\n%s", mode, err, out)
	return nil
}

func TestCleanupAfterFailure(t *testing.T) {
	labtest.NewTestLab(t, sandbox.Config{}) // skips like the helper would
	names := runHelper(t, "fail")
	ns := namespaces(t)
	for _, n := range names {
		if slices.Contains(ns, n) {
			t.Errorf("%s left after a failed test", n)
		}
	}
}

func TestSweep(t *testing.T) {
	labtest.NewTestLab(t, sandbox.Config{})
	names := runHelper(t, "kill")
	for _, n := range names {
		if !slices.Contains(namespaces(t), n) {
			t.Fatalf("%s gone before the sweep; the test proves nothing", n)
		}
	}
	t.Cleanup(sandbox.SetSweepGrace(0)) // the helper's namespaces are new
	removed, err := sandbox.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ns := namespaces(t)
	for _, n := range names {
		if !slices.Contains(removed, n) || slices.Contains(ns, n) {
			t.Errorf("sweep did not remove %s (removed %v)", n, removed)
		}
	}
}

func TestSweepKeepsLiveAndForeign(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	foreign := "perim-notalab"
	if err := exec.Command("ip", "netns", "add", foreign).Run(); err != nil {
		t.Fatal(err)
	}
	defer exec.Command("ip", "netns", "delete", foreign).Run()
	removed, err := sandbox.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(removed, l.Target) || slices.Contains(removed, foreign) {
		t.Errorf("sweep removed %v", removed)
	}
	if ns := namespaces(t); !slices.Contains(ns, l.Target) || !slices.Contains(ns, foreign) {
		t.Errorf("namespaces after sweep: %v", ns)
	}
}

// TestSweepJudgesByLock makes a lab-shaped namespace whose creator's pid is
// dead here, as a running lab's looks from another PID namespace: Sweep must
// keep it while it is young or its lock is held, and remove it after.
func TestSweepJudgesByLock(t *testing.T) {
	labtest.NewTestLab(t, sandbox.Config{}) // skips like the helper would
	name := fmt.Sprintf("%s%d-%08x-t", sandbox.NamePrefix, math.MaxInt32, rand.Uint32())
	if err := exec.Command("ip", "netns", "add", name).Run(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", name).Run() })
	if sweepRemoves(t, name) {
		t.Fatal("sweep removed a namespace younger than its grace")
	}
	t.Cleanup(sandbox.SetSweepGrace(0))
	f := openNetns(t, name)
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		t.Fatal(err)
	}
	if sweepRemoves(t, name) {
		t.Fatal("sweep removed a locked namespace")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if !sweepRemoves(t, name) {
		t.Fatal("sweep kept an unlocked namespace of a dead pid")
	}
}

// sweepRemoves runs Sweep and reports whether it removed ns, checking that
// ns is gone exactly when Sweep says so.
func sweepRemoves(t *testing.T, ns string) bool {
	t.Helper()
	removed, err := sandbox.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	gone := !slices.Contains(namespaces(t), ns)
	if gone != slices.Contains(removed, ns) {
		t.Fatalf("%s gone: %v, but sweep removed %v", ns, gone, removed)
	}
	return gone
}

func openNetns(t *testing.T, ns string) *os.File {
	t.Helper()
	f, err := os.Open(sandbox.NetnsDir + "/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// lockHeld reports whether anyone holds a flock on the file of ns.
func lockHeld(t *testing.T, ns string) bool {
	t.Helper()
	f := openNetns(t, ns)
	defer f.Close()
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err != nil && !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatal(err)
	}
	return err != nil
}

func TestTwoLabs(t *testing.T) {
	a := labtest.NewTestLab(t, sandbox.Config{})
	b := labtest.NewTestLab(t, sandbox.Config{})
	if a.Target == b.Target || a.Prober == b.Prober {
		t.Fatalf("labs share names: %s %s", a.Target, b.Target)
	}
	listen(t, a, "tcp", 22)
	var wg sync.WaitGroup
	for _, c := range []struct {
		l    *sandbox.Lab
		want probe.State
	}{{a, probe.Open}, {b, probe.Closed}} {
		wg.Go(func() {
			for range 20 {
				r := c.l.Probe(context.Background(), false, "tcp", netip.Addr{}, netip.Addr{}, []uint16{22}, 0)[0]
				if r.State != c.want {
					t.Errorf("%s: got %s, want %s", c.l.Target, r, c.want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestDo checks that Do runs in the lab namespace, leaves the caller alone,
// and that sockets made there work from anywhere.
func TestDo(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{TargetIface: "wan0"})
	before, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	var dev []byte
	err = l.Do(l.Target, func() (err error) {
		dev, err = os.ReadFile("/proc/thread-self/net/dev")
		return err
	})
	if err != nil || !bytes.Contains(dev, []byte("wan0:")) {
		t.Fatalf("target /proc/thread-self/net/dev: %v\n%s", err, dev)
	}
	var ln net.Listener
	if err := l.Do(l.Target, func() (err error) { ln, err = net.Listen("tcp4", "198.18.0.1:0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	var c net.Conn
	if err := l.Do(l.Prober, func() (err error) { c, err = net.Dial("tcp4", ln.Addr().String()); return err }); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := net.Dial("tcp4", ln.Addr().String()); err == nil {
		t.Error("lab address reachable from the host namespace")
	}
	after, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if !before.Equal(after) {
		t.Error("Do moved the caller's thread")
	}
	sentinel := errors.New("sentinel")
	if err := l.Do(l.Prober, func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do error: %v", err)
	}
	if err := l.Do("perim-other", func() error { return nil }); err == nil {
		t.Error("Do in a foreign namespace: no error")
	}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("panic: got %v", p)
			}
		}()
		l.Do(l.Prober, func() error { panic("boom") })
	}()
}

func TestRunErrors(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	out, err := l.Run(t.Context(), l.Prober, strings.NewReader("hello"), "cat")
	if err != nil || string(out) != "hello" {
		t.Errorf("cat: %q, %v", out, err)
	}
	_, err = l.Run(t.Context(), l.Target, nil, "sh", "-c", "echo oops >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "oops") {
		t.Errorf("stderr not in error: %v", err)
	}
	if _, err := l.Run(t.Context(), "init", nil, "true"); err == nil {
		t.Error("Run outside the lab: no error")
	}
	err = l.LoadIPTables(t.Context(), false, false, false, strings.NewReader("*filter\n-A NOPE -j ACCEPT\nCOMMIT\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "load iptables: ") {
		t.Errorf("bad rules: %v", err)
	}
	t.Logf("bad rules: %v", err)
}

// TestForwardingAndSysctls checks the sysctls New sets inside the target,
// and that the host's are untouched.
func TestForwardingAndSysctls(t *testing.T) {
	hostBefore := readSysctls(t, nil)
	l := labtest.NewTestLab(t, sandbox.Config{Forwarding: true})
	got := readSysctls(t, l)
	want := map[string]string{
		"net/ipv4/ip_forward": "1", "net/ipv6/conf/all/forwarding": "1",
		"net/ipv4/icmp_ratelimit": "0", "net/ipv6/icmp/ratelimit": "0",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("target %s = %q, want %q", k, got[k], v)
		}
	}
	if hostAfter := readSysctls(t, nil); !equalMaps(hostBefore, hostAfter) {
		t.Errorf("host sysctls changed: %v -> %v", hostBefore, hostAfter)
	}
}

var sysctlPaths = []string{
	"net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding", "net/ipv4/icmp_ratelimit",
	"net/ipv6/icmp/ratelimit", "net/ipv4/icmp_msgs_per_sec", "net/ipv6/conf/all/accept_dad",
}

// readSysctls reads sysctlPaths in the lab's target, or the host when l is nil.
func readSysctls(t *testing.T, l *sandbox.Lab) map[string]string {
	t.Helper()
	m := map[string]string{}
	read := func() error {
		for _, p := range sysctlPaths {
			b, err := os.ReadFile("/proc/sys/" + p)
			if err != nil {
				return err
			}
			m[p] = strings.TrimSpace(string(b))
		}
		return nil
	}
	var err error
	if l == nil {
		err = read()
	} else {
		err = l.Do(l.Target, read)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
