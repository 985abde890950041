package probe_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// rateRules rejects TCP 1000-1011 with ICMP and drops 2000-2011; UDP to
// 1000-1011 meets closed ports, which the kernel answers with ICMP too.
const rateRules = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 1000:1011 -j REJECT
-A INPUT -p tcp --dport 2000:2011 -j DROP
-A INPUT -p udp --dport 2000:2011 -j DROP
COMMIT
`

func span(first uint16, n int, st probe.State, reason string) []want {
	var ws []want
	for i := range n {
		ws = append(ws, want{first + uint16(i), st, reason})
	}
	return ws
}

// TestRateLimited leaves the target's ICMP rate limits on: most rejections
// of a burst are never sent, yet no port is reported stealth that is not.
// Each case has its own lab, so its own token bucket in the target.
func TestRateLimited(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the target's rate limit")
	}
	tcp := append(span(1000, 12, probe.Rejected, "port-unreachable"), span(2000, 12, probe.Stealth, "no-response")...)
	udp := append(span(1000, 12, probe.Closed, "port-unreachable"), span(2000, 12, probe.Stealth, "no-response")...)
	cases := []struct {
		mode  probe.Mode
		proto string
		ws    []want
	}{
		{probe.ModeSyn, "tcp", tcp},
		{probe.ModeConnect, "tcp", tcp},
		{probe.ModeAuto, "udp", udp},
	}
	for _, v6 := range []bool{false, true} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("v6=%v/%s/%s", v6, c.proto, c.mode), func(t *testing.T) {
				t.Parallel()
				l := labtest.NewTestLab(t, sandbox.Config{ICMPRateLimit: true})
				load(t, l, v6, rateRules)
				rep := check(t, l, v6, c.mode, c.proto, c.ws)
				if st := rep.Scans[0].Stats; st.TargetRateLimited <= 0 {
					t.Errorf("the target's rate limit never held back an answer: %+v", st)
				}
			})
		}
	}
}

// TestRateLimitedRemote is TestRateLimited without the target's counters,
// as from a remote vantage: the spot check finds the held-back answers.
func TestRateLimitedRemote(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the target's rate limit")
	}
	ws := append(span(1000, 12, probe.Rejected, "port-unreachable"), span(2000, 12, probe.Stealth, "no-response")...)
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			t.Parallel()
			l := labtest.NewTestLab(t, sandbox.Config{ICMPRateLimit: true})
			load(t, l, v6, rateRules)
			opts := labOptions(l, probe.ModeSyn)
			opts.TargetNetns = nil
			opts.RateLimitWait = time.Minute
			rep := checkOpts(t, l, v6, "tcp", ws, opts)
			if st := rep.Scans[0].Stats; st.TargetRateLimited != -1 || st.SlowProbes == 0 {
				t.Errorf("want unread counters and slow probes: %+v", st)
			}
		})
	}
}
