package probe_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
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
				if st := rep.Scans[0].Stats; st.TargetRateLimited <= 0 || len(st.RateLimited) != 1 {
					t.Errorf("the target's rate limit never held back an answer, or no limited range: %+v", st)
				}
			})
		}
	}
}

// TestRateLimitedRemote is TestRateLimited without the target's counters,
// as from a remote vantage: the range is found from its answers alone.
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
			if st := rep.Scans[0].Stats; st.TargetRateLimited != -1 || st.SlowProbes == 0 || len(st.RateLimited) != 1 {
				t.Errorf("want unread counters, a limited range and paced probes: %+v", st)
			}
		})
	}
}

// rstLimitRules drop by default and reject TCP 2000-2199 with a RST behind
// a limit rule, as hardening guides recommend.
const rstLimitRules = `table inet f {
	chain input {
		type filter hook input priority filter; policy drop;
		meta l4proto ipv6-icmp accept
		tcp dport 2000-2199 limit rate 50/second burst 5 packets reject with tcp reset
	}
}
`

// rstLimitWants: 1900-2299, the range closed, the rest stealth.
func rstLimitWants() []want {
	ws := span(1900, 100, probe.Stealth, "no-response")
	ws = append(ws, span(2000, 200, probe.Closed, "reset")...)
	return append(ws, span(2200, 100, probe.Stealth, "no-response")...)
}

// TestRSTRateLimited: RSTs that a limit rule holds back are waited for at
// the rate they come; no port of the range is called stealth, and ports
// outside it are not held up. With Paced (what the audit passes from the
// rules), the range is paced from the start.
func TestRSTRateLimited(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the limit")
	}
	for _, paced := range []bool{false, true} {
		t.Run(fmt.Sprintf("paced=%v", paced), func(t *testing.T) {
			t.Parallel()
			l := labtest.NewTestLab(t, sandbox.Config{})
			if err := l.LoadNft(t.Context(), stringsReader(rstLimitRules)); err != nil {
				t.Fatal(err)
			}
			opts := labOptions(l, probe.ModeSyn)
			if paced {
				opts.Paced = []probe.Pace{{Proto: "tcp", From: 2000, To: 2199, PerSecond: 50, Burst: 5}}
			}
			rep := checkOpts(t, l, false, "tcp", rstLimitWants(), opts)
			if rl := rep.Scans[0].Stats.RateLimited; len(rl) != 1 || rl[0].Stated != paced {
				t.Errorf("limited ranges %+v", rl)
			}
		})
	}
}

// TestRateLimitWaitZero: without time to settle them, the silent ports of
// a rate-limited range are unknown (rate-limited), never stealth, and the
// notes say so without contradicting themselves.
func TestRateLimitWaitZero(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{ICMPRateLimit: true})
	load(t, l, false, "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 1000:1039 -j REJECT\nCOMMIT\n")
	opts := labOptions(l, probe.ModeSyn)
	opts.TargetNetns, opts.RateLimitWait = nil, -1
	// A range reaches eight mean gaps past its answers: with two answers
	// 39 ports apart, 312 ports. Ports beyond that are far.
	ports, _ := probe.ParsePorts("600-1439", "tcp")
	rep, err := probe.Run(t.Context(), l.TargetAddr(false), []probe.Job{{Proto: "tcp", Ports: ports}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		inRange := r.Port >= 1000 && r.Port <= 1039
		switch {
		case inRange && r.State != probe.Rejected && r.Reason != probe.ReasonRateLimited:
			t.Errorf("in the limited range: %s", r)
		case !inRange && (r.Port < 1000-312 || r.Port > 1039+312) && r.State != probe.Stealth:
			t.Errorf("far from the limited range: %s", r)
		}
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "unknown (rate-limited)") || strings.Contains(notes, "no sign of a rate limit") {
		t.Errorf("notes %q", rep.Notes)
	}
}

// TestRateLimitedSources probes a drop host's ICMP-rejected range from
// three addresses of the prober: the target's kernel limits its ICMP
// errors per address, so three hear about three times as many, and the
// range is exact.
func TestRateLimitedSources(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the target's rate limit")
	}
	cases := []struct {
		v6    bool
		mode  probe.Mode
		proto string
		st    probe.State
	}{
		{false, probe.ModeSyn, "tcp", probe.Rejected},
		{false, probe.ModeConnect, "tcp", probe.Rejected},
		{false, probe.ModeAuto, "udp", probe.Closed},
		{true, probe.ModeSyn, "tcp", probe.Rejected},
		{true, probe.ModeAuto, "udp", probe.Closed},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("v6=%v/%s/%s", c.v6, c.proto, c.mode), func(t *testing.T) {
			t.Parallel()
			srcs := []netip.Addr{labAddr(c.v6, 2), labAddr(c.v6, 3), labAddr(c.v6, 4)}
			var pfx []netip.Prefix
			for _, s := range srcs {
				pfx = append(pfx, netip.PrefixFrom(s, map[bool]int{false: 24, true: 64}[c.v6]))
			}
			l := labtest.NewTestLab(t, sandbox.Config{ICMPRateLimit: true, ProberAddrs: pfx})
			load(t, l, c.v6, "*filter\n:INPUT DROP [0:0]\n-A INPUT -p ipv6-icmp -j ACCEPT\n-A INPUT -p "+c.proto+" --dport 1000:1023 -j REJECT\nCOMMIT\n")
			ws := span(900, 100, probe.Stealth, "no-response")
			ws = append(ws, span(1000, 24, c.st, "port-unreachable")...)
			ws = append(ws, span(1024, 100, probe.Stealth, "no-response")...)
			opts := labOptions(l, c.mode)
			opts.TargetNetns, opts.Sources = nil, srcs
			rep := checkOpts(t, l, c.v6, c.proto, ws, opts)
			if !slices.Equal(rep.Sources, srcs) || rep.Source != srcs[0] {
				t.Errorf("sources %v %v, want %v", rep.Source, rep.Sources, srcs)
			}
			// One address's limit lets 6 errors through the fast pass (and
			// one a second after), three let about 18.
			rl := rep.Scans[0].Stats.RateLimited
			if len(rl) != 1 || 24-rl[0].Answered < 12 {
				t.Errorf("limited ranges %+v: want one, and at least 12 of its 24 answers before the paced phase", rl)
			}
		})
	}
}

// labAddr is the lab's address n in 198.18.0.0/24 or 2001:db8::/64.
func labAddr(v6 bool, n byte) netip.Addr {
	if v6 {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: n})
	}
	return netip.AddrFrom4([4]byte{198, 18, 0, n})
}
