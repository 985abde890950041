//go:build linux

package ipt

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// scratchNetns creates a network namespace for the test, loads files into
// it with restore tools (each "tool<file" pair), and removes it when the
// test ends, whatever happens. It skips unless run as root.
func scratchNetns(tb testing.TB, name string, loads ...[2]string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root to create a network namespace")
	}
	exec.Command("ip", "netns", "del", name).Run() // a leftover of a killed run
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		tb.Fatalf("ip netns add %s: %v %s", name, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			tb.Errorf("ip netns del %s: %v %s", name, err, out)
		}
	})
	for _, l := range loads {
		f, err := os.Open(l[1])
		if err != nil {
			tb.Fatal(err)
		}
		args := append([]string{"netns", "exec", name}, strings.Fields(l[0])...)
		cmd := exec.Command("ip", args...)
		cmd.Stdin = f
		out, err := cmd.CombinedOutput()
		f.Close()
		if err != nil {
			tb.Fatalf("%s < %s: %v %s", l[0], l[1], err, out)
		}
	}
}

// inNetns runs fn on an OS thread that has entered the named namespace.
// Processes fn starts from that thread (the iptables tools) run there
// too. The thread is never handed back to the scheduler: it ends with
// the goroutine, so nothing else ever runs in the namespace by accident.
func inNetns(tb testing.TB, name string, fn func()) {
	tb.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		if err != nil {
			done <- fmt.Errorf("enter netns %s: %w", name, err)
			return
		}
		defer close(done)
		fn()
	}()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
}
