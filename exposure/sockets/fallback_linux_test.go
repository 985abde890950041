package sockets

import (
	"fmt"
	"slices"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// TestProcFallbackAgrees reads a lab target both ways: /proc/net must list
// what sock_diag does (it only lacks the v6only flag).
func TestProcFallbackAgrees(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	if err := l.Listen("tcp", []uint16{22, 80}); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen("udp", []uint16{53}); err != nil {
		t.Fatal(err)
	}
	var diag, proc []Socket
	err := inNetns("/var/run/netns/"+l.Target, func() (err error) {
		if diag, err = readDiag(true); err != nil {
			return err
		}
		proc, err = readProc(true)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, p := summary(diag), summary(proc); !slices.Equal(d, p) || len(d) != 6 {
		t.Errorf("sock_diag %q\n/proc/net %q", d, p)
	}
	for _, s := range diag {
		if s.Family == "ipv6" && (s.V6Only == nil || !*s.V6Only) {
			t.Errorf("stand-in listener %s %s: v6only %v, want true", s.Proto, s.Local(), s.V6Only)
		}
	}
}

func summary(ss []Socket) []string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s %s %s:%d uid=%d inode=%d", s.Proto, s.Family, s.Addr, s.Port, s.UID, s.Inode))
	}
	slices.Sort(out)
	return out
}
