// Package labtest gives tests a sandbox.Lab that is removed when the test
// ends.
package labtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
)

var sweepOnce sync.Once

// NewTestLab creates a lab for t and registers its Close with t.Cleanup.
// It skips the test when the lab cannot run here (not Linux, not root, no
// ip tool, no network namespaces); when the environment variable CI is set,
// a missing requirement fails the test instead (except on other OSes). The
// first call in a process also sweeps away namespaces that killed test runs
// left behind.
func NewTestLab(t testing.TB, cfg sandbox.Config) *sandbox.Lab {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("sandbox: needs Linux network namespaces")
	}
	if reason := missing(); reason != "" {
		skipOrFail(t, reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sweepOnce.Do(func() {
		if _, err := sandbox.Sweep(ctx); err != nil {
			t.Logf("sandbox: %v", err)
		}
	})
	l, err := sandbox.New(ctx, cfg)
	if errors.Is(err, sandbox.ErrNoPrivilege) {
		skipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

func missing() string {
	if os.Geteuid() != 0 {
		return "sandbox: needs root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "sandbox: needs the ip tool"
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return "sandbox: no network namespaces"
	}
	return ""
}

func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(reason + " (CI is set)")
	}
	t.Skip(reason)
}
