package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
)

// target is a ruleset and what it says of every port.
type target struct {
	name  string
	rules string
	rest  probe.State // ports no rule names
}

// Four listening ports accepted, one listening port dropped, one accepted
// port with nothing listening; the policy decides the rest.
var (
	listening = []uint16{22, 80, 443, 8080, 3306}
	targets   = map[string]target{
		"drop": {"drop", `*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8080,9000 -j ACCEPT
-A INPUT -p tcp --dport 3306 -j DROP
COMMIT
`, probe.Stealth},
		"reject": {"reject", `*filter
:INPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8080,9000 -j ACCEPT
-A INPUT -p tcp --dport 3306 -j DROP
-A INPUT -j REJECT --reject-with icmp-port-unreachable
COMMIT
`, probe.Rejected},
	}
)

// expected is the state the rules give port.
func (t target) expected(port uint16) probe.State {
	switch port {
	case 22, 80, 443, 8080:
		return probe.Open
	case 9000:
		return probe.Closed
	case 3306:
		return probe.Stealth
	}
	return t.rest
}

// newLab builds the lab with the ICMP rate limits off in the target (the
// lab's default), so every rejection is answered.
func newLab(ctx context.Context, t target) (*sandbox.Lab, error) {
	l, err := sandbox.New(ctx, sandbox.Config{})
	if err != nil {
		return nil, err
	}
	err = l.LoadIPTables(ctx, false, false, false, strings.NewReader(t.rules))
	if err == nil {
		err = l.Listen("tcp", listening)
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// benchTarget runs the rounds on one target.
func benchTarget(ctx context.Context, cfg config, t target, w io.Writer) (targetResult, error) {
	res := targetResult{target: t.name}
	l, err := newLab(ctx, t)
	if err != nil {
		return res, err
	}
	defer l.Close()
	tools := []tool{perimeterTool(cfg.perimeter), nmapTool(cfg.nmap)}
	fmt.Fprintf(w, "%s-policy target %s, prober netns %s\n", t.name, l.TargetAddr(false), l.Prober)
	for round := range cfg.rounds {
		for i := range tools {
			tl := tools[(i+round)%2] // alternate which tool goes first
			r, err := runTool(ctx, l, tl, t)
			if err != nil {
				return res, fmt.Errorf("%s round %d: %w", tl.name, round+1, err)
			}
			fmt.Fprintf(w, "  round %d %-9s %8.2fs  %5d MB  %d misclassified%s\n", round+1, tl.name, r.seconds, r.maxRSSKB/1024, r.wrong, r.example())
			res.add(tl.name, r)
		}
	}
	return res, ctx.Err()
}
