package main

import (
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// TestLiveInterfaceMustExist: live, an interface the host does not have is
// bad input, not an empty prediction.
func TestLiveInterfaceMustExist(t *testing.T) {
	lab := labtest.NewTestLab(t, sandbox.Config{})
	var stdout, stderr string
	var code int
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(lab.Do(lab.Target, func() error {
		stdout, stderr, code = runCLI("rules", "--in-interface", "eth9")
		return nil
	}))
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, `--in-interface "eth9": this host has no such interface`) {
		t.Errorf("exit %d, stderr %q, stdout %q", code, stderr, stdout)
	}
	must(lab.Do(lab.Target, func() error {
		stdout, stderr, code = runCLI("rules", "--family", "ipv4", "--protocol", "tcp", "--in-interface", lab.TargetIface)
		return nil
	}))
	if code != exitOK || !strings.Contains(stdout, "via "+lab.TargetIface+" to "+lab.TargetAddr(false).String()) {
		t.Errorf("an interface the host has: exit %d, stderr %q, stdout %q", code, stderr, stdout)
	}
}
