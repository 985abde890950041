package sandbox_test

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"

	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"os"
	"path/filepath"
)

// want is one expected probe result; an empty reason is not checked.
type want struct {
	port   uint16
	state  probe.State
	reason string
}

const udpSilence = "no-response (open|filtered)"

// probeCheck probes the ports of ws and compares.
func probeCheck(t *testing.T, l *sandbox.Lab, v6 bool, proto string, src netip.Addr, ws []want) {
	t.Helper()
	ports := make([]uint16, len(ws))
	for i, w := range ws {
		ports[i] = w.port
	}
	res := l.Probe(t.Context(), v6, proto, src, netip.Addr{}, ports, 0)
	for i, w := range ws {
		r := res[i]
		if r.Port != w.port || r.State != w.state || (w.reason != "" && r.Reason != w.reason) {
			t.Errorf("%s v6=%v port %d: got %s, want %s (%s)", proto, v6, w.port, r, w.state, w.reason)
		}
	}
}

var (
	wantTCP4 = []want{
		{22, probe.Open, "syn-ack"},
		{80, probe.Closed, "reset"},
		{81, probe.Closed, "reset"},
		{82, probe.Rejected, "port-unreachable"},
		{83, probe.Rejected, "admin-prohibited"},
		{84, probe.Rejected, "host-unreachable"},
		{85, probe.Rejected, "net-unreachable"},
		{86, probe.Rejected, "host-prohibited"},
		{87, probe.Rejected, "net-prohibited"},
		{88, probe.Rejected, "prot-unreachable"},
		{9999, probe.Stealth, "no-response"},
	}
	wantUDP4 = []want{
		{53, probe.Open, "reply"},
		{54, probe.Closed, "port-unreachable"},
		{55, probe.Closed, "port-unreachable"},
		{56, probe.Stealth, udpSilence},
		{57, probe.Rejected, "admin-prohibited"},
		{58, probe.Rejected, "host-unreachable"},
		{59, probe.Rejected, "net-unreachable"},
		{60, probe.Rejected, "prot-unreachable"},
		{61, probe.Rejected, "host-prohibited"},
	}
	wantTCP6 = []want{
		{22, probe.Open, "syn-ack"},
		{80, probe.Closed, "reset"},
		{81, probe.Closed, "reset"},
		{82, probe.Rejected, "port-unreachable"},
		{83, probe.Rejected, "admin-prohibited"},
		{84, probe.Rejected, "addr-unreachable"},
		{85, probe.Rejected, "no-route"},
		{86, probe.Rejected, "policy-fail"},
		{87, probe.Rejected, "reject-route"},
		{9999, probe.Stealth, "no-response"},
	}
	wantUDP6 = []want{
		{53, probe.Open, "reply"},
		{54, probe.Closed, "port-unreachable"},
		{55, probe.Closed, "port-unreachable"},
		{56, probe.Stealth, udpSilence},
		{57, probe.Rejected, "admin-prohibited"},
		{58, probe.Rejected, "addr-unreachable"},
		{59, probe.Rejected, "no-route"},
	}
)

func TestIPTables(t *testing.T) {
	t.Parallel()
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			t.Parallel()
			l := labtest.NewTestLab(t, sandbox.Config{})
			ctx := t.Context()
			if err := l.LoadIPTables(ctx, false, legacy, false, strings.NewReader(testRuleset(t, "reject-kinds.v4"))); err != nil {
				t.Fatal(err)
			}
			if err := l.LoadIPTables(ctx, true, legacy, false, strings.NewReader(testRuleset(t, "reject-kinds.v6"))); err != nil {
				t.Fatal(err)
			}
			listen(t, l, "tcp", 22)
			listen(t, l, "udp", 53)
			probeCheck(t, l, false, "tcp", netip.Addr{}, wantTCP4)
			probeCheck(t, l, false, "udp", netip.Addr{}, wantUDP4)
			probeCheck(t, l, true, "tcp", netip.Addr{}, wantTCP6)
			probeCheck(t, l, true, "udp", netip.Addr{}, wantUDP6)
		})
	}
}

// testRuleset reads a ruleset of testdata/iptables (reject-kinds.v6
// accepts ICMPv6: with a DROP policy and no such rule, neighbour discovery
// fails and every IPv6 port looks stealth).
func testRuleset(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/iptables", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func listen(t *testing.T, l *sandbox.Lab, proto string, ports ...uint16) {
	t.Helper()
	if err := l.Listen(proto, ports); err != nil {
		t.Fatal(err)
	}
}

const nftRules = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif lo accept
		meta l4proto ipv6-icmp accept
		tcp dport 22 accept
		tcp dport 23 reject with tcp reset
		tcp dport 24 reject with icmpx type admin-prohibited
		tcp dport 25 reject
		udp dport 53 accept
		udp dport 55 reject
	}
}
`

var (
	wantNftTCP = []want{
		{22, probe.Open, "syn-ack"},
		{23, probe.Closed, "reset"},
		{24, probe.Rejected, "admin-prohibited"},
		{25, probe.Rejected, "port-unreachable"},
		{26, probe.Stealth, "no-response"},
	}
	wantNftUDP = []want{
		{53, probe.Open, "reply"},
		{54, probe.Stealth, udpSilence},
		{55, probe.Closed, "port-unreachable"},
	}
)

// TestNft loads an nft ruleset, then its JSON dump into a second lab, and
// expects the same from both.
func TestNft(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := labtest.NewTestLab(t, sandbox.Config{})
	if err := l.LoadNft(ctx, strings.NewReader(nftRules)); err != nil {
		t.Fatal(err)
	}
	js, err := l.Run(ctx, l.Target, nil, "nft", "-j", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	l2 := labtest.NewTestLab(t, sandbox.Config{})
	if err := l2.LoadNftJSON(ctx, strings.NewReader(string(js))); err != nil {
		t.Fatal(err)
	}
	for _, lab := range []*sandbox.Lab{l, l2} {
		listen(t, lab, "tcp", 22)
		listen(t, lab, "udp", 53)
		for _, v6 := range []bool{false, true} {
			probeCheck(t, lab, v6, "tcp", netip.Addr{}, wantNftTCP)
			probeCheck(t, lab, v6, "udp", netip.Addr{}, wantNftUDP)
		}
	}
	if err := l.LoadNft(ctx, strings.NewReader("this is not nft\n")); err == nil || !strings.Contains(err.Error(), "load nft: ") || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("bad nft: got %v, want load nft error with nft's stderr", err)
	}
}

// TestIPSetAndSource checks ipset loading and probing from a chosen source,
// including one outside the target's subnet.
func TestIPSetAndSource(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := labtest.NewTestLab(t, sandbox.Config{
		TargetIface: "ens3",
		ProberAddrs: []netip.Prefix{
			netip.MustParsePrefix("198.18.0.2/24"),
			netip.MustParsePrefix("198.18.0.3/24"),
			netip.MustParsePrefix("198.19.7.5/24"),
			netip.MustParsePrefix("2001:db8::2/64"),
		},
	})
	set := "create allow hash:ip family inet\nadd allow 198.18.0.2\nadd allow 198.19.7.5\n"
	if err := l.LoadIPSet(ctx, strings.NewReader(set)); err != nil {
		t.Fatal(err)
	}
	rules := "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 443 -m set --match-set allow src -j ACCEPT\nCOMMIT\n"
	if err := l.LoadIPTables(ctx, false, false, false, strings.NewReader(rules)); err != nil {
		t.Fatal(err)
	}
	listen(t, l, "tcp", 443)
	for src, st := range map[string]probe.State{"198.18.0.2": probe.Open, "198.18.0.3": probe.Stealth, "198.19.7.5": probe.Open} {
		probeCheck(t, l, false, "tcp", netip.MustParseAddr(src), []want{{443, st, ""}})
	}
	res := l.Probe(ctx, false, "tcp", netip.MustParseAddr("198.18.0.99"), netip.Addr{}, []uint16{443}, 0)
	if res[0].State != probe.Unknown || res[0].Err == nil {
		t.Errorf("foreign source: got %s, want unknown with an error", res[0])
	}
	if out, err := l.Run(ctx, l.Target, nil, "ip", "-br", "link", "show", "ens3"); err != nil || !strings.HasPrefix(string(out), "ens3") {
		t.Errorf("target iface: %q, %v", out, err)
	}
}

// TestIPv6NeedsND shows what a DROP policy without an ICMPv6 accept does:
// neighbour discovery fails, so even accepted ports are silent.
func TestIPv6NeedsND(t *testing.T) {
	t.Parallel()
	l := labtest.NewTestLab(t, sandbox.Config{})
	rules := "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
	if err := l.LoadIPTables(t.Context(), true, false, false, strings.NewReader(rules)); err != nil {
		t.Fatal(err)
	}
	listen(t, l, "tcp", 22)
	probeCheck(t, l, true, "tcp", netip.Addr{}, []want{{22, probe.Stealth, ""}})
	probeCheck(t, l, false, "tcp", netip.Addr{}, []want{{22, probe.Open, ""}})
}

// TestListenStop checks per-family listeners and StopListening.
func TestListenStop(t *testing.T) {
	t.Parallel()
	l := labtest.NewTestLab(t, sandbox.Config{})
	listen(t, l, "tcp", 7000, 7001)
	listen(t, l, "tcp", 7000) // already listening: kept
	listen(t, l, "udp", 7000)
	for _, v6 := range []bool{false, true} {
		probeCheck(t, l, v6, "tcp", netip.Addr{}, []want{{7000, probe.Open, ""}, {7001, probe.Open, ""}})
		probeCheck(t, l, v6, "udp", netip.Addr{}, []want{{7000, probe.Open, ""}})
	}
	l.StopListening("tcp", []uint16{7000})
	probeCheck(t, l, false, "tcp", netip.Addr{}, []want{{7000, probe.Closed, "reset"}, {7001, probe.Open, ""}})
	// a rule that differs per family is seen per family
	rules := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 7001 -j DROP\nCOMMIT\n"
	if err := l.LoadIPTables(t.Context(), true, false, false, strings.NewReader(rules)); err != nil {
		t.Fatal(err)
	}
	probeCheck(t, l, false, "tcp", netip.Addr{}, []want{{7001, probe.Open, ""}})
	probeCheck(t, l, true, "tcp", netip.Addr{}, []want{{7001, probe.Stealth, ""}})
	if err := l.Listen("sctp", []uint16{1}); err == nil {
		t.Error("listen sctp: no error")
	}
}

// TestProbe1000 probes 1,000 ports, most of them silent, and logs the time.
func TestProbe1000(t *testing.T) {
	t.Parallel()
	l := labtest.NewTestLab(t, sandbox.Config{})
	rules := "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 20000:20199 -j ACCEPT\n-A INPUT -p udp --dport 20000:20199 -j ACCEPT\nCOMMIT\n"
	if err := l.LoadIPTables(t.Context(), false, false, false, strings.NewReader(rules)); err != nil {
		t.Fatal(err)
	}
	ports := portRange(20000, 1000)
	listen(t, l, "tcp", ports[:100]...)
	listen(t, l, "udp", ports[:100]...)
	for _, proto := range []string{"tcp", "udp"} {
		start := time.Now()
		res := l.Probe(t.Context(), false, proto, netip.Addr{}, netip.Addr{}, ports, 0)
		took := time.Since(start)
		counts := countStates(res)
		t.Logf("%s: 1000 ports in %v: %v", proto, took.Round(time.Millisecond), counts)
		if counts[probe.Open] != 100 || counts[probe.Closed] != 100 || counts[probe.Stealth] != 800 {
			t.Errorf("%s: got %v, want 100 open, 100 closed, 800 stealth", proto, counts)
		}
	}
}

func portRange(first uint16, n int) []uint16 {
	ports := make([]uint16, n)
	for i := range ports {
		ports[i] = first + uint16(i)
	}
	return ports
}

func countStates(res []sandbox.Result) map[probe.State]int {
	m := map[probe.State]int{}
	for _, r := range res {
		m[r.State]++
	}
	return m
}

func BenchmarkProbe1000(b *testing.B) {
	l := labtest.NewTestLab(b, sandbox.Config{})
	rules := "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 20000:20199 -j ACCEPT\nCOMMIT\n"
	if err := l.LoadIPTables(context.Background(), false, false, false, strings.NewReader(rules)); err != nil {
		b.Fatal(err)
	}
	ports := portRange(20000, 1000)
	if err := l.Listen("tcp", ports[:100]); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l.Probe(context.Background(), false, "tcp", netip.Addr{}, netip.Addr{}, ports, 0)
	}
}

// TestICMPRateLimit shows why the lab switches the ICMP rate limits off:
// with the kernel's defaults most port-unreachables of a burst are never
// sent, and those UDP ports look silent.
func TestICMPRateLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []bool{false, true} {
		t.Run(fmt.Sprintf("limit=%v", limit), func(t *testing.T) {
			t.Parallel()
			l := labtest.NewTestLab(t, sandbox.Config{ICMPRateLimit: limit})
			for _, v6 := range []bool{false, true} {
				res := l.Probe(t.Context(), v6, "udp", netip.Addr{}, netip.Addr{}, portRange(30000, 300), 0)
				counts := countStates(res)
				t.Logf("v6=%v: 300 closed UDP ports seen as %v", v6, counts)
				if !limit && counts[probe.Closed] != 300 {
					t.Errorf("v6=%v: got %v, want 300 closed", v6, counts)
				}
			}
			snmp, err := l.Run(t.Context(), l.Target, nil, "cat", "/proc/net/snmp")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("target ICMP counters: %s", icmpRateLimitCounters(string(snmp)))
		})
	}
}

// icmpRateLimitCounters picks the Icmp OutRateLimit* counters from
// /proc/net/snmp.
func icmpRateLimitCounters(snmp string) string {
	var names, values []string
	for line := range strings.Lines(snmp) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "Icmp:" {
			if names == nil {
				names = f[1:]
			} else {
				values = f[1:]
			}
		}
	}
	var out []string
	for i, n := range names {
		if i < len(values) && (strings.HasPrefix(n, "OutRateLimit") || n == "OutDestUnreachs") {
			out = append(out, n+"="+values[i])
		}
	}
	return strings.Join(out, " ")
}

// TestNoNeighbor: when the target ignores ARP and ND, the prober's own
// kernel gives up after about 3 s; Probe reports that as silence.
func TestNoNeighbor(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 3 s")
	}
	t.Parallel()
	l := labtest.NewTestLab(t, sandbox.Config{})
	arp := "table arp f {\n\tchain c { type filter hook input priority 0; policy drop; }\n}\n"
	if err := l.LoadNft(t.Context(), strings.NewReader(arp)); err != nil {
		t.Fatal(err)
	}
	nd := "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
	if err := l.LoadIPTables(t.Context(), true, false, false, strings.NewReader(nd)); err != nil {
		t.Fatal(err)
	}
	listen(t, l, "tcp", 22)
	var wg sync.WaitGroup
	for _, v6 := range []bool{false, true} {
		wg.Go(func() {
			r := l.Probe(t.Context(), v6, "tcp", netip.Addr{}, netip.Addr{}, []uint16{22}, 6*time.Second)[0]
			if r.State != probe.Stealth || r.Reason != "no-neighbor" {
				t.Errorf("v6=%v: got %s, want stealth (no-neighbor)", v6, r)
			}
		})
	}
	wg.Wait()
}
