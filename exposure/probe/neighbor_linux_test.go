package probe_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// TestNoNeighbor: a target that answers neither ARP nor neighbour discovery
// (an IPv6 drop policy without an ICMPv6 accept, or an arp table dropping
// everything) is silent on every port, listening or not; the prober's
// kernel gives up after about 3 s, and the run is an error: no port has
// a state.
func TestNoNeighbor(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the neighbour timeout")
	}
	for _, v6 := range []bool{false, true} {
		for _, mode := range []probe.Mode{probe.ModeSyn, probe.ModeConnect} {
			t.Run(fmt.Sprintf("v6=%v/%s", v6, mode), func(t *testing.T) {
				t.Parallel()
				l := labtest.NewTestLab(t, sandbox.Config{})
				if v6 {
					load(t, l, true, "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
				} else if err := l.LoadNft(t.Context(), strings.NewReader("table arp f {\n\tchain c { type filter hook input priority 0; policy drop; }\n}\n")); err != nil {
					t.Fatal(err)
				}
				listen(t, l, "tcp", 22)
				rep, err := probe.Run(t.Context(), l.TargetAddr(v6), []probe.Job{{Proto: "tcp", Ports: []uint16{22, 23}}}, labOptions(l, mode))
				if !errors.Is(err, probe.ErrNoNeighbor) || rep != nil {
					t.Errorf("got %v, %v; want ErrNoNeighbor", rep, err)
				}
			})
		}
	}
}
