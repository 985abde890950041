package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// interruptRun is what a signalled run of perimeter did.
type interruptRun struct {
	code           int
	stdout, stderr string
	took           time.Duration // from the signal to the exit
	leftover       []string      // processes it left behind
	pid            int
}

// interrupt runs this test binary as perimeter with args (inside the
// command line wrap, as runBinary does), sends it sig once ready says so
// (or after delay when ready is nil), and reports how it ended. The test
// is made the subreaper of what perimeter starts, so that a child it
// leaves behind shows up here.
func interrupt(t *testing.T, wrap []string, sig syscall.Signal, delay time.Duration, args ...string) interruptRun {
	t.Helper()
	subreaper(t)
	cmd, out, errOut := binaryCmd(wrap, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitOpened(cmd.Process.Pid, args)
	time.Sleep(delay)
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		cmd.Wait()
		reapOrphans(t)
		// A faster evaluator may finish first: nothing left to interrupt.
		t.Skipf("perimeter ended within %v, before the signal (%v): %.200s", delay, err, errOut.String())
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	r := interruptRun{pid: cmd.Process.Pid}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("%v did not end %v after %v", args, 10*time.Second, sig)
	}
	r.took = time.Since(start)
	r.code = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.code = 128 + int(ws.Signal())
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	time.Sleep(100 * time.Millisecond) // let killed children die
	r.leftover = reapOrphans(t)
	return r
}

// waitOpened waits, at most 5 s, until process pid has opened the regular
// file args name, if any: by then it has set up its signal handling, so a
// signal sent soon after lands in the reading, not in the start-up.
func waitOpened(pid int, args []string) {
	var file string
	for _, a := range args {
		if fi, err := os.Stat(a); err == nil && fi.Mode().IsRegular() {
			file, _ = filepath.Abs(a)
		}
	}
	fds := fmt.Sprintf("/proc/%d/fd", pid)
	for deadline := time.Now().Add(5 * time.Second); file != "" && time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		entries, _ := os.ReadDir(fds)
		for _, e := range entries {
			if target, _ := os.Readlink(filepath.Join(fds, e.Name())); target == file {
				return
			}
		}
	}
}

// check asserts the exit code, the time to exit, one line on stderr that
// starts with msg, and no process left behind.
func (r interruptRun) check(t *testing.T, code int, msg string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d (stderr %.300q)", r.code, code, r.stderr)
	}
	t.Logf("exited %v after the signal", r.took.Round(time.Millisecond))
	if r.took > time.Second {
		t.Errorf("exited %v after the signal, want at most 1s", r.took.Round(time.Millisecond))
	}
	checkOneLine(t, r.stderr)
	if !strings.HasPrefix(r.stderr, msg) {
		t.Errorf("stderr %q, want it to start %q", r.stderr, msg)
	}
	if len(r.leftover) > 0 {
		t.Errorf("processes left behind: %s", strings.Join(r.leftover, "; "))
	}
}

// subreaper makes this process the one orphans of its children go to,
// for the test's time.
func subreaper(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
}

// reapOrphans lists the processes whose parent is this one, besides the
// dead, kills and reaps them all.
func reapOrphans(t *testing.T) []string {
	self := os.Getpid()
	var alive []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != strconv.Itoa(self) {
			continue
		}
		if f[0] != "Z" {
			comm := string(stat[bytes.IndexByte(stat, '(')+1 : bytes.LastIndexByte(stat, ')')])
			alive = append(alive, fmt.Sprintf("%d %s (%s)", pid, comm, f[0]))
			syscall.Kill(pid, syscall.SIGKILL)
		}
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
	}
	return alive
}

// bigRules writes an iptables-save file of n rules, each of a port of its
// own: reading, predicting and printing them takes a few seconds.
func bigRules(t *testing.T, n int) string {
	var b strings.Builder
	b.WriteString("*filter\n:INPUT DROP [0:0]\n")
	for i := range n {
		fmt.Fprintf(&b, "-A INPUT -p tcp --dport %d -j ACCEPT\n", 1+i%65000)
	}
	b.WriteString("COMMIT\n")
	p := filepath.Join(t.TempDir(), "big.v4")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// bigNft writes an nft text of n rules: nft -f takes about a second to
// load it, and perimeter seconds more to read and predict it.
func bigNft(t *testing.T, n int) string {
	var b strings.Builder
	b.WriteString("table inet f {\n chain input {\n  type filter hook input priority 0; policy drop;\n")
	for i := range n {
		fmt.Fprintf(&b, "  tcp dport %d ip saddr 198.18.%d.%d accept\n", 1+i%60000, (i>>8)&255, i&255)
	}
	b.WriteString(" }\n}\n")
	p := filepath.Join(t.TempDir(), "big.nft")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInterruptRules: SIGINT and SIGTERM stop `rules` within a second,
// whether it is parsing, waiting on a FIFO no one writes to, or
// predicting 50,000 rules, with 130 or 143 and one line.
func TestInterruptRules(t *testing.T) {
	big := bigRules(t, 50_000)
	fifo := filepath.Join(t.TempDir(), "fifo.v4")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		sig   syscall.Signal
		delay time.Duration
		code  int
		msg   string
	}{
		{"SIGINT on 50k rules", []string{"rules", "--iptables-save", big}, syscall.SIGINT, time.Second, 130, "perimeter: interrupted by SIGINT (Ctrl-C): stopped, nothing printed"},
		{"SIGTERM on 50k rules", []string{"rules", "--iptables-save", big}, syscall.SIGTERM, 700 * time.Millisecond, 143, "perimeter: interrupted by SIGTERM: stopped, nothing printed"},
		{"SIGHUP parsing 50k rules", []string{"rules", "--iptables-save", big}, syscall.SIGHUP, 50 * time.Millisecond, 129, "perimeter: interrupted by SIGHUP: stopped, nothing printed"},
		{"SIGINT on a FIFO without a writer", []string{"rules", "--iptables-save", fifo}, syscall.SIGINT, 500 * time.Millisecond, 130, "perimeter: interrupted by SIGINT (Ctrl-C): stopped, nothing printed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := interrupt(t, nil, c.sig, c.delay, c.args...)
			r.check(t, c.code, c.msg)
			if r.stdout != "" {
				t.Errorf("output after an interrupt: %.200q", r.stdout)
			}
		})
	}
}

// TestInterruptRulesNft: a signal while nft loads the text into the
// scratch namespace (300ms), or while perimeter reads it back over
// netlink (1.2s),
// kills nft's process group, reaps it, and leaves no process (so no
// namespace) behind.
func TestInterruptRulesNft(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("nft"); err != nil {
		skipOrFail(t, "needs nft")
	}
	big := bigNft(t, 20_000)
	for _, c := range []struct {
		sig   syscall.Signal
		delay time.Duration
		code  int
	}{
		{syscall.SIGINT, 300 * time.Millisecond, 130},
		{syscall.SIGTERM, 300 * time.Millisecond, 143},
		// at 1.2s perimeter dumps the rules over netlink while nft -a
		// list ruleset spells them
		{syscall.SIGINT, 1200 * time.Millisecond, 130},
		{syscall.SIGTERM, 1200 * time.Millisecond, 143},
	} {
		t.Run(fmt.Sprintf("%v after %v", c.sig, c.delay), func(t *testing.T) {
			r := interrupt(t, nil, c.sig, c.delay, "rules", "--nft", big)
			r.check(t, c.code, "perimeter: interrupted by SIG")
		})
	}
}

// TestKillRulesNft: perimeter killed outright (SIGKILL) while nft loads
// a ruleset: the kernel kills nft with it (parent-death signal), so
// nothing runs on in the scratch namespace.
func TestKillRulesNft(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("nft"); err != nil {
		skipOrFail(t, "needs nft")
	}
	r := interrupt(t, nil, syscall.SIGKILL, 300*time.Millisecond, "rules", "--nft", bigNft(t, 20_000))
	if r.code != 128+int(syscall.SIGKILL) || len(r.leftover) > 0 {
		t.Errorf("exit %d; left behind: %v", r.code, r.leftover)
	}
}

// TestInterruptProbe: Ctrl-C during a slow probe prints what was found
// and exits 130 within a second; SIGTERM alike with 143.
func TestInterruptProbe(t *testing.T) {
	lab := labtest.NewTestLab(t, sandbox.Config{})
	loadDropAll(t, lab)
	target := lab.TargetAddr(false).String()
	wrap := []string{"ip", "netns", "exec", lab.Prober, "BIN"}
	for _, c := range []struct {
		sig  syscall.Signal
		code int
		msg  string
	}{
		{syscall.SIGINT, 130, "perimeter: interrupted by SIGINT (Ctrl-C): the results above are partial"},
		{syscall.SIGTERM, 143, "perimeter: interrupted by SIGTERM: the results above are partial"},
	} {
		t.Run(c.sig.String(), func(t *testing.T) {
			r := interrupt(t, wrap, c.sig, 1500*time.Millisecond, "probe", target, "--ports", "all", "--max-rate", "2000", "--output", "json")
			r.check(t, c.code, c.msg)
			if !strings.Contains(r.stdout, `"interrupted": true`) {
				t.Errorf("no partial results:\n%.500s", r.stdout)
			}
		})
	}
}

// TestInterruptLab: a program that holds a sandbox lab (named network
// namespaces) and is sent SIGTERM or SIGINT removes them all before it
// exits.
func TestInterruptLab(t *testing.T) {
	needRoot(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			r := interrupt(t, nil, sig, 2*time.Second, "__lab")
			r.check(t, 128+int(sig), "perimeter: interrupted by SIG")
			if left := labNamespaces(t, r.pid); len(left) > 0 {
				t.Errorf("namespaces left behind: %v", left)
				for _, ns := range left {
					exec.Command("ip", "netns", "del", ns).Run()
				}
			}
		})
	}
}

// labNamespaces lists the namespaces of the labs process pid made (their
// names hold its pid).
func labNamespaces(t *testing.T, pid int) []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("%s%d-", sandbox.NamePrefix, pid)
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			names = append(names, f[0])
		}
	}
	return names
}

// loadDropAll gives the lab's target a drop policy, so that a probe of
// every port waits on silence.
func loadDropAll(t *testing.T, lab *sandbox.Lab) {
	t.Helper()
	rules := "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"
	if err := lab.LoadIPTables(context.Background(), false, false, false, strings.NewReader(rules)); err != nil {
		t.Fatal(err)
	}
}

// holdLab stands in for a program that holds a sandbox lab: it makes one,
// waits for a signal, removes the lab and exits as perimeter would.
func holdLab() int {
	ctx, stop := notifyContext(context.Background())
	defer stop()
	lab, err := sandbox.New(ctx, sandbox.Config{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "perimeter: lab: %v\n", err)
		return exitInternal
	}
	<-ctx.Done()
	closeErr := lab.Close()
	se, _ := interruption(ctx)
	fmt.Fprintf(os.Stderr, "perimeter: %v\n", interruptedError{sig: se})
	if closeErr != nil {
		return exitInternal
	}
	return se.code()
}
