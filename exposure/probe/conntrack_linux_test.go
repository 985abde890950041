package probe_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// proberConntrack turns conntrack on in the prober's namespace, as any
// stateful firewall on the prober host does.
const proberConntrack = `table inet perimeter_test {
	chain out {
		type filter hook output priority 0; policy accept;
		ct state established accept
	}
}
`

// TestConntrackCounted: the run reads the free conntrack entries of the
// prober's namespace, where each probe of a drop host leaves one.
func TestConntrackCounted(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	load(t, l, false, "*filter\n:INPUT DROP [0:0]\nCOMMIT\n")
	if _, err := l.Run(t.Context(), l.Prober, strings.NewReader(proberConntrack), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	before, limit := proberEntries(t, l)
	ports := make([]uint16, 2000)
	for i := range ports {
		ports[i] = uint16(10000 + i)
	}
	rep, err := probe.Run(t.Context(), l.TargetAddr(false), []probe.Job{{Proto: "tcp", Ports: ports}}, labOptions(l, probe.ModeSyn))
	if err != nil {
		t.Fatal(err)
	}
	st := rep.Scans[0].Stats
	if st.ConntrackFree != limit-before || st.ConntrackWait != 0 {
		t.Errorf("conntrack free %d, wait %v: want %d free and no wait", st.ConntrackFree, st.ConntrackWait, limit-before)
	}
	if after, _ := proberEntries(t, l); after-before < len(ports) {
		t.Errorf("the prober's table went from %d to %d entries: want one per probed port of a drop host (%d)", before, after, len(ports))
	}
}

func proberEntries(t *testing.T, l *sandbox.Lab) (count, limit int) {
	t.Helper()
	read := func(name string) int {
		b, err := os.ReadFile("/proc/sys/net/netfilter/" + name)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := l.Do(l.Prober, func() error {
		count, limit = read("nf_conntrack_count"), read("nf_conntrack_max")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return count, limit
}
