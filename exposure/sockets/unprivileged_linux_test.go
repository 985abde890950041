package sockets_test

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
)

// TestListUnprivileged runs List as nobody: root's listener is listed,
// without owner, marked hidden, and the listing says why.
func TestListUnprivileged(t *testing.T) {
	if os.Getenv("PERIMETER_SOCKETS_CHILD") != "" {
		listAsChild(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to become nobody")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l := runAsNobody(t)
	port := ln.Addr().(*net.TCPAddr).Port
	found := false
	for _, s := range l.Sockets {
		if s.Proto == "tcp" && int(s.Port) == port {
			found = true
			if !s.OwnerHidden || len(s.Processes) != 0 || s.User != "root" {
				t.Errorf("root's socket seen by nobody: %+v", s)
			}
		}
	}
	if !found || !strings.Contains(strings.Join(l.Notes, "\n"), "owners of other users' sockets are hidden") {
		t.Errorf("found %v, notes %q", found, l.Notes)
	}
}

func listAsChild(t *testing.T) {
	l, err := sockets.List(t.Context(), sockets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	json.NewEncoder(os.Stdout).Encode(l)
}

// runAsNobody copies the test binary where nobody may run it and runs
// TestListUnprivileged there as uid and gid 65534.
func runAsNobody(t *testing.T) *sockets.Listing {
	bin := labtest.ExecutableForNobody(t)
	cmd := exec.Command(bin, "-test.run=^TestListUnprivileged$")
	cmd.Env = append(os.Environ(), "PERIMETER_SOCKETS_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var l sockets.Listing
	if err := json.NewDecoder(strings.NewReader(string(out))).Decode(&l); err != nil {
		t.Fatalf("child output: %v\n%s", err, out)
	}
	return &l
}
