package probe_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// The benchmark's targets (bench/): four listening ports accepted, one
// listening port dropped, one accepted port without a listener; everything
// else dropped, or rejected with the default port-unreachable.
const (
	dropPolicy = `*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8080,9000 -j ACCEPT
-A INPUT -p tcp --dport 3306 -j DROP
COMMIT
`
	rejectPolicy = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8080,9000 -j ACCEPT
-A INPUT -p tcp --dport 3306 -j DROP
-A INPUT -j REJECT
COMMIT
`
)

var benchListeners = []uint16{22, 80, 443, 8080, 3306}

// expected is what the rules say of port on a drop or reject target.
func expected(port uint16, reject bool) probe.State {
	switch port {
	case 22, 80, 443, 8080:
		return probe.Open
	case 9000:
		return probe.Closed
	case 3306:
		return probe.Stealth
	}
	if reject {
		return probe.Rejected
	}
	return probe.Stealth
}

func policyLab(t testing.TB, reject bool) *sandbox.Lab {
	l := labtest.NewTestLab(t, sandbox.Config{})
	rules := dropPolicy
	if reject {
		rules = rejectPolicy
	}
	if err := l.LoadIPTables(context.Background(), false, false, false, stringsReader(rules)); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen("tcp", benchListeners); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestAllPorts probes all 65,535 TCP ports of both targets in syn mode and
// checks every port against the rules.
func TestAllPorts(t *testing.T) {
	if testing.Short() {
		t.Skip("65,535 ports twice")
	}
	all, _ := probe.ParsePorts("all", "tcp")
	for _, reject := range []bool{false, true} {
		t.Run(fmt.Sprintf("reject=%v", reject), func(t *testing.T) {
			l := policyLab(t, reject)
			rep, err := probe.Run(t.Context(), l.TargetAddr(false), []probe.Job{{Proto: "tcp", Ports: all}}, labOptions(l, probe.ModeSyn))
			if err != nil {
				t.Fatal(err)
			}
			wrong := 0
			for _, r := range rep.Results {
				if r.State != expected(r.Port, reject) {
					wrong++
					t.Errorf("got %s, want %s", r, expected(r.Port, reject))
				}
			}
			t.Logf("%d ports in %v, %d misclassified: %v", len(rep.Results), rep.Duration, wrong, rep.Scans[0].Counts)
		})
	}
}

// BenchmarkAllPorts measures a syn-mode run over all 65,535 ports.
func BenchmarkAllPorts(b *testing.B) {
	all, _ := probe.ParsePorts("all", "tcp")
	for _, reject := range []bool{false, true} {
		b.Run(fmt.Sprintf("reject=%v", reject), func(b *testing.B) {
			l := policyLab(b, reject)
			for b.Loop() {
				if _, err := probe.Run(context.Background(), l.TargetAddr(false), []probe.Job{{Proto: "tcp", Ports: all}}, labOptions(l, probe.ModeSyn)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
