package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
)

// target is a lab ruleset and what it says of every port.
type target struct {
	name  string
	about string
	rules string
	nft   bool // rules are nft text, else iptables-restore input
	proto string
	// icmpLimit keeps the target kernel's ICMP rate limits on.
	icmpLimit bool
	// sources, above one, gives the prober that many addresses, and
	// perimeter probes from all of them (nmap from its route's one).
	sources int
	// rest is how long the target's limits take to fill up again: each
	// run waits that long first, so every run meets them alike (full),
	// whichever tool went before.
	rest      time.Duration
	listenTCP []uint16
	listenUDP []uint16
	expected  func(port uint16) probe.State
}

// Every TCP target listens on 22, 80, 443, 8080 (accepted) and 3306
// (dropped); 9000 is accepted with nothing listening.
var listening = []uint16{22, 80, 443, 8080, 3306}

const dropBase = `*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8080,9000 -j ACCEPT
-A INPUT -p tcp --dport 3306 -j DROP
`

// icmpRest fills Linux's ICMP limit (6 errors, then one a second) again.
const icmpRest = 7 * time.Second

var targets = map[string]target{
	"open": {name: "open", about: "accept policy: closed ports answer RSTs", rules: `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 3306 -j DROP
COMMIT
`, proto: "tcp", listenTCP: listening, expected: tcpStates(probe.Closed, 0, 0, "")},
	"reject": {name: "reject", about: "reject policy (icmp-port-unreachable), ICMP limit off", rules: `*filter
:INPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8080,9000 -j ACCEPT
-A INPUT -p tcp --dport 3306 -j DROP
-A INPUT -j REJECT --reject-with icmp-port-unreachable
COMMIT
`, proto: "tcp", listenTCP: listening, expected: tcpStates(probe.Rejected, 0, 0, "")},
	"drop": {name: "drop", about: "drop policy", rules: dropBase + "COMMIT\n",
		proto: "tcp", listenTCP: listening, expected: tcpStates(probe.Stealth, 0, 0, "")},
	"rstlimit": {name: "rstlimit", about: "drop policy + tcp dport 20000-29999 limit rate 100/second burst 100 packets reject with tcp reset",
		rules: `table inet bench {
	chain input {
		type filter hook input priority filter; policy drop;
		iif lo accept
		tcp dport { 22, 80, 443, 8080, 9000 } accept
		tcp dport 20000-29999 limit rate 100/second burst 100 packets reject with tcp reset
	}
}
`, nft: true, proto: "tcp", listenTCP: listening, expected: tcpStates(probe.Stealth, 20000, 29999, probe.Closed), rest: 2 * time.Second},
	"smallreject": {name: "smallreject", about: "drop policy + REJECT of TCP and UDP 7000-7100, ICMP limit on",
		rules: dropBase + `-A INPUT -p tcp --dport 7000:7100 -j REJECT
-A INPUT -p udp --dport 7000:7100 -j REJECT
COMMIT
`, proto: "tcp", icmpLimit: true, rest: icmpRest, listenTCP: listening, expected: tcpStates(probe.Stealth, 7000, 7100, probe.Rejected)},
	"udp": {name: "udp", about: "UDP: drop policy + REJECT of UDP 7000-7100, DNS on 53 accepted, ICMP limit on",
		rules: `*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -p udp --dport 5353 -j DROP
-A INPUT -p tcp --dport 7000:7100 -j REJECT
-A INPUT -p udp --dport 7000:7100 -j REJECT
COMMIT
`, proto: "udp", icmpLimit: true, rest: icmpRest, listenUDP: []uint16{53, 5353}, expected: udpStates},
}

func init() {
	for _, name := range []string{"smallreject", "udp"} {
		targets[name+"-4src"] = fromSources(targets[name], 4)
	}
}

// fromSources is t probed by perimeter from n addresses of the prober: the
// target's kernel limits its ICMP errors per address.
func fromSources(t target, n int) target {
	t.name, t.about, t.sources = fmt.Sprintf("%s-%dsrc", t.name, n), fmt.Sprintf("%s; perimeter from %d addresses of the prober", t.about, n), n
	return t
}

// targetNames is the order targets run in.
var targetNames = []string{"open", "reject", "drop", "rstlimit", "smallreject", "udp", "smallreject-4src", "udp-4src"}

// tcpStates: the listeners, 9000 closed, lo-hi in state inRange, the rest
// in state rest.
func tcpStates(rest probe.State, lo, hi uint16, inRange probe.State) func(uint16) probe.State {
	return func(port uint16) probe.State {
		switch {
		case port == 22 || port == 80 || port == 443 || port == 8080:
			return probe.Open
		case port == 9000:
			return probe.Closed
		case port == 3306:
			return probe.Stealth
		case port >= lo && port <= hi && lo > 0:
			return inRange
		}
		return rest
	}
}

// udpStates: the DNS listener answers, 7000-7100 are rejected with the
// default port unreachable (closed, for UDP), the rest is silent.
func udpStates(port uint16) probe.State {
	switch {
	case port == 53:
		return probe.Open
	case port >= 7000 && port <= 7100:
		return probe.Closed
	}
	return probe.Stealth
}

// newLab builds the lab of t.
func newLab(ctx context.Context, t target) (*sandbox.Lab, error) {
	l, err := sandbox.New(ctx, sandbox.Config{ICMPRateLimit: t.icmpLimit, ProberAddrs: proberAddrs(t.sources)})
	if err != nil {
		return nil, err
	}
	if t.nft {
		err = l.LoadNft(ctx, strings.NewReader(t.rules))
	} else {
		err = l.LoadIPTables(ctx, false, false, false, strings.NewReader(t.rules))
	}
	if err == nil && len(t.listenTCP) > 0 {
		err = l.Listen("tcp", t.listenTCP)
	}
	if err == nil && len(t.listenUDP) > 0 {
		err = l.Listen("udp", t.listenUDP)
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// benchTarget runs the rounds on one target.
func benchTarget(ctx context.Context, cfg config, t target, w io.Writer) (targetResult, error) {
	res := targetResult{target: t}
	l, err := newLab(ctx, t)
	if err != nil {
		return res, err
	}
	defer l.Close()
	fmt.Fprintf(w, "%s: %s; target %s, prober netns %s\n", t.name, t.about, l.TargetAddr(false), l.Prober)
	tools := []tool{perimeterTool(cfg.perimeter, t), nmapTool(cfg.nmap, t)}
	for round := range cfg.rounds {
		for i := range tools {
			tl := tools[(i+round)%2] // alternate which tool goes first
			if t.proto == "udp" && tl.name == "nmap" {
				tl = nmapUDPTool(cfg.nmap, res.median("perimeter"))
			}
			if err := rest(ctx, t.rest); err != nil {
				return res, err
			}
			r, err := runTool(ctx, l, tl, t)
			if err != nil {
				return res, fmt.Errorf("%s round %d: %w", tl.name, round+1, err)
			}
			fmt.Fprintf(w, "  round %d %-9s %8.2fs  %5d MB  %s\n", round+1, tl.name, r.seconds, r.maxRSSKB/1024, r.verdict())
			res.add(tl.name, r)
		}
	}
	return res, ctx.Err()
}

// proberAddrs are n addresses for the prober, 198.18.0.2 on (none: the
// lab's default).
func proberAddrs(n int) []netip.Prefix {
	var out []netip.Prefix
	for i := range n {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, 0, byte(2 + i)}), 24))
	}
	return out
}

// sourceList is the --source value for t's addresses.
func sourceList(t target) string {
	var s []string
	for _, p := range proberAddrs(t.sources) {
		s = append(s, p.Addr().String())
	}
	return strings.Join(s, ",")
}

func rest(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
