package probe_test

import (
	"fmt"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// sourcePortRules accept by source port only, the hole `--sport 53`
// leaves; everything else is dropped.
const sourcePortRules = `*filter
:INPUT DROP [0:0]
-A INPUT -p udp --sport 53 -j ACCEPT
-A INPUT -p tcp --sport 53 -j ACCEPT
COMMIT
`

// TestSourcePort: probes from source port 53 pass the hole and find the
// listeners behind it, in every mode; probes from elsewhere do not.
func TestSourcePort(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	load(t, l, false, sourcePortRules)
	listen(t, l, "tcp", 5000)
	listen(t, l, "udp", 5000)
	for _, c := range []struct {
		proto string
		mode  probe.Mode
		open  want
	}{
		{"tcp", probe.ModeSyn, want{5000, probe.Open, "syn-ack"}},
		{"tcp", probe.ModeConnect, want{5000, probe.Open, "syn-ack"}},
		{"udp", probe.ModeAuto, want{5000, probe.Open, "reply"}},
	} {
		t.Run(fmt.Sprintf("%s/%s", c.proto, c.mode), func(t *testing.T) {
			opts := labOptions(l, c.mode)
			opts.SourcePort = 53
			closed := want{5001, probe.Closed, "reset"}
			if c.proto == "udp" {
				closed.reason = "port-unreachable"
			}
			checkOpts(t, l, false, c.proto, []want{c.open, closed}, opts)
			opts.SourcePort = 0
			checkOpts(t, l, false, c.proto, []want{{5000, probe.Stealth, "no-response"}}, opts)
		})
	}
}
