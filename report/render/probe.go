package render

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/probe"
)

// WriteProbeJSON writes the probe report (schema perimeter.probe/v1): one
// result per probed port, what the audit imports from a remote vantage.
func WriteProbeJSON(w io.Writer, r *probe.Report) error {
	return r.WriteJSON(w)
}

// WriteProbeTable writes, per protocol, a summary line and one row per run
// of consecutive ports that answered alike, then the notes.
func WriteProbeTable(w io.Writer, r *probe.Report, style Style) error {
	for _, s := range r.Scans {
		fmt.Fprintf(w, "%s %s from %s, %s mode: %d ports in %v: %s\n", s.Proto, r.Target, r.Source,
			s.Mode, s.Ports, s.Duration.Round(time.Millisecond), countsLine(s.Counts))
		t := newTable(w, style, column{header: "PORTS"}, column{header: "STATE"}, column{header: "REASON", wrap: true},
			column{header: "TTL"}, column{header: "RTT"}, column{header: "TRIES"})
		for _, g := range groupResults(r.Results, s.Proto, r.Target) {
			t.add(g.ports(), string(g.first.State), g.reason(), g.ttl(), g.rtt(), g.tries())
		}
		if err := t.render(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	writeNotes(w, style, r.Notes)
	return nil
}

func countsLine(c map[probe.State]int) string {
	var parts []string
	for _, st := range probe.States {
		if c[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// resultGroup is a run of consecutive ports that answered alike.
type resultGroup struct {
	first, last probe.Result
	members     []probe.Result
	target      netip.Addr
}

func groupResults(rs []probe.Result, proto string, target netip.Addr) []*resultGroup {
	var out []*resultGroup
	for _, r := range rs {
		if r.Proto != proto {
			continue
		}
		if n := len(out); n > 0 && out[n-1].takes(r) {
			g := out[n-1]
			g.last, g.members = r, append(g.members, r)
			continue
		}
		out = append(out, &resultGroup{first: r, last: r, members: []probe.Result{r}, target: target})
	}
	return out
}

func (g *resultGroup) takes(r probe.Result) bool {
	f := g.first
	return r.Port == g.last.Port+1 && r.State == f.State && r.Reason == f.Reason &&
		r.Doubt == f.Doubt && r.From == f.From && r.Error == f.Error
}

func (g *resultGroup) ports() string {
	if g.first.Port == g.last.Port {
		return fmt.Sprint(g.first.Port)
	}
	return fmt.Sprintf("%d-%d (%d)", g.first.Port, g.last.Port, len(g.members))
}

func (g *resultGroup) reason() string {
	s := g.first.Reason
	if g.first.Doubt != "" {
		s += " (" + g.first.Doubt + ")"
	}
	if from := g.first.From; from.IsValid() && from != g.target {
		s += " from " + from.String()
	}
	if g.first.Error != "" {
		s += ": " + g.first.Error
	}
	return s
}

// ttl shows the TTL when the whole run shares it.
func (g *resultGroup) ttl() string {
	ttl := g.first.TTL
	for _, m := range g.members {
		if m.TTL != ttl {
			return "mixed"
		}
	}
	if ttl == 0 {
		return "-"
	}
	return fmt.Sprint(ttl)
}

// rtt shows the median RTT of the run's answers.
func (g *resultGroup) rtt() string {
	var ds []time.Duration
	for _, m := range g.members {
		if m.RTT > 0 {
			ds = append(ds, m.RTT)
		}
	}
	if len(ds) == 0 {
		return "-"
	}
	slices.Sort(ds)
	return roundRTT(ds[len(ds)/2]).String()
}

func roundRTT(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func (g *resultGroup) tries() string {
	lo, hi := g.first.Tries, g.first.Tries
	for _, m := range g.members {
		lo, hi = min(lo, m.Tries), max(hi, m.Tries)
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// ProgressLine draws a one-line progress bar for a terminal.
func ProgressLine(p probe.Progress, width int) string {
	frac := 0.0
	if p.Total > 0 { // half for the first probes, half for the decisions
		frac = float64(p.Probed+p.Done) / float64(2*p.Total)
	}
	filled := int(frac * float64(width))
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	line := fmt.Sprintf("%s [%s] %3.0f%% %d/%d ports, %d open, %v", p.Proto, bar, 100*frac, p.Done, p.Total, p.Open, p.Elapsed.Round(100*time.Millisecond))
	if p.Phase != "" && p.Phase != "probing" {
		line += " (" + p.Phase + ": re-probing at the rate the answers come)"
	}
	return line
}
