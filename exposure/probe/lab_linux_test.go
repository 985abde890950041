package probe_test

import (
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"os"
	"path/filepath"
)

// want is one expected result.
type want struct {
	port   uint16
	state  probe.State
	reason string
}

// labOptions probes from the lab's prober namespace and reads the
// target's ICMP counters.
func labOptions(l *sandbox.Lab, mode probe.Mode) probe.Options {
	return probe.Options{
		Mode:        mode,
		ProberNetns: func(fn func() error) error { return l.Do(l.Prober, fn) },
		TargetNetns: func(fn func() error) error { return l.Do(l.Target, fn) },
	}
}

func check(t *testing.T, l *sandbox.Lab, v6 bool, mode probe.Mode, proto string, ws []want) *probe.Report {
	t.Helper()
	return checkOpts(t, l, v6, proto, ws, labOptions(l, mode))
}

func checkOpts(t *testing.T, l *sandbox.Lab, v6 bool, proto string, ws []want, opts probe.Options) *probe.Report {
	t.Helper()
	mode := opts.Mode
	ports := make([]uint16, len(ws))
	for i, w := range ws {
		ports[i] = w.port
	}
	rep, err := probe.Run(t.Context(), l.TargetAddr(v6), []probe.Job{{Proto: proto, Ports: ports}}, opts)
	if err != nil {
		t.Fatalf("%s v6=%v %s: %v", proto, v6, mode, err)
	}
	if len(rep.Results) != len(ws) {
		t.Fatalf("%s v6=%v %s: %d results, want %d", proto, v6, mode, len(rep.Results), len(ws))
	}
	for i, w := range ws {
		r := rep.Results[i]
		if r.Port != w.port || r.State != w.state || r.Reason != w.reason {
			t.Errorf("%s v6=%v %s: got %s, want %s (%s)", proto, v6, mode, r, w.state, w.reason)
		}
		if silentUDP := proto == "udp" && r.Reason == probe.ReasonNoResponse; silentUDP != (r.Doubt == probe.DoubtOpenFiltered) {
			t.Errorf("%s v6=%v %s: doubt %q on %s", proto, v6, mode, r.Doubt, r)
		}
	}
	if testing.Verbose() {
		t.Logf("%s v6=%v %s: %+v notes=%q", proto, v6, rep.Scans[0].Mode, rep.Scans[0].Stats, rep.Notes)
	}
	return rep
}

// testRuleset reads a ruleset of testdata/iptables.
func testRuleset(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/iptables", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func load(t *testing.T, l *sandbox.Lab, v6 bool, rules string) {
	t.Helper()
	if err := l.LoadIPTables(t.Context(), v6, false, false, strings.NewReader(rules)); err != nil {
		t.Fatal(err)
	}
}

func listen(t *testing.T, l *sandbox.Lab, proto string, ports ...uint16) {
	t.Helper()
	if err := l.Listen(proto, ports); err != nil {
		t.Fatal(err)
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
