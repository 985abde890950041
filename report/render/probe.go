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

// WriteProbeTable writes, per protocol, a summary line and one row per
// group of ports that answered alike, then the notes. Ports probed as
// ranges (--ports all, 1-1024,8080) group in runs of consecutive ports, so
// the rows read as a map of the ranges; ports probed apart (--ports top,
// 22,80,443) group by answer whatever lies between them, so about a
// hundred top ports make a handful of rows, the silent ones one summary
// row.
func WriteProbeTable(w io.Writer, r *probe.Report, style Style) error {
	for _, s := range r.Scans {
		fmt.Fprintf(w, "%s %s from %s, %s mode: %d ports in %v: %s\n", s.Proto, r.Target, sourcesText(r),
			s.Mode, s.Ports, s.Duration.Round(time.Millisecond), countsLine(s.Counts))
		groups, apart := groupResults(r.Results, s.Proto, r.Target)
		// A list of ports apart wraps between ports, never inside one.
		t := newTable(w, style, column{header: "PORTS", wrap: apart}, column{header: "STATE"}, column{header: "REASON", wrap: true},
			column{header: "TTL"}, column{header: "RTT"}, column{header: "TRIES"})
		for _, g := range groups {
			t.add(g.ports(apart), string(g.first().State), g.reason(), g.ttl(), g.rtt(), g.tries())
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

// resultGroup is ports that answered alike, in port order.
type resultGroup struct {
	members []probe.Result
	target  netip.Addr
}

func (g *resultGroup) first() probe.Result { return g.members[0] }

// groupResults groups the protocol's results: in runs of consecutive
// ports when the ports probed are mostly ranges, else every port that
// answered alike in one group, the groups in the order of probe.States.
// apart tells which.
func groupResults(rs []probe.Result, proto string, target netip.Addr) (groups []*resultGroup, apart bool) {
	var mine []probe.Result
	for _, r := range rs {
		if r.Proto == proto {
			mine = append(mine, r)
		}
	}
	apart = !mostlyRanges(mine)
	for _, r := range mine {
		if g := groupFor(groups, r, apart); g != nil {
			g.members = append(g.members, r)
			continue
		}
		groups = append(groups, &resultGroup{members: []probe.Result{r}, target: target})
	}
	if apart {
		slices.SortStableFunc(groups, func(a, b *resultGroup) int {
			return slices.Index(probe.States, a.first().State) - slices.Index(probe.States, b.first().State)
		})
	}
	return groups, apart
}

// mostlyRanges reports whether at least half the ports, in order, have a
// probed neighbour: runs of them then read as a map, where most top ports
// would be runs of one.
func mostlyRanges(rs []probe.Result) bool {
	near := 0
	for i := range rs {
		if i > 0 && rs[i-1].Port+1 == rs[i].Port || i+1 < len(rs) && rs[i].Port+1 == rs[i+1].Port {
			near++
		}
	}
	return 2*near >= len(rs)
}

// groupFor is the group r joins: the last one if r continues its run, or,
// for ports apart, any that answered alike; nil for a new group.
func groupFor(groups []*resultGroup, r probe.Result, apart bool) *resultGroup {
	if !apart {
		if n := len(groups); n > 0 && groups[n-1].takes(r) {
			return groups[n-1]
		}
		return nil
	}
	for _, g := range groups {
		if alike(g.first(), r) {
			return g
		}
	}
	return nil
}

func (g *resultGroup) takes(r probe.Result) bool {
	return r.Port == g.members[len(g.members)-1].Port+1 && alike(g.first(), r)
}

// alike reports whether two ports answered alike: the same state, for
// the same reason, from the same sender.
func alike(a, b probe.Result) bool {
	return a.State == b.State && a.Reason == b.Reason && a.Doubt == b.Doubt && a.From == b.From && a.Error == b.Error
}

// maxSilentListed is the most silent ports apart a row lists; more are
// only counted. Silence says nothing port by port, and the ports that
// answered are listed, so a list of the rest of the top ports would only
// lengthen the table.
const maxSilentListed = 10

// ports spells the group's ports: a run "26-79 (54)"; apart, a list of
// runs "22, 80, 8080-8081 (4)", or for many silent ones "92 ports".
func (g *resultGroup) ports(apart bool) string {
	n := len(g.members)
	if apart && g.first().State == probe.Stealth && n > maxSilentListed {
		return fmt.Sprintf("%d ports", n)
	}
	var runs []string
	for i := 0; i < n; {
		j := i
		for j+1 < n && g.members[j+1].Port == g.members[j].Port+1 {
			j++
		}
		run := fmt.Sprint(g.members[i].Port)
		if j > i {
			run += fmt.Sprintf("-%d", g.members[j].Port)
		}
		runs = append(runs, run)
		i = j + 1
	}
	if n == 1 {
		return runs[0]
	}
	return fmt.Sprintf("%s (%d)", strings.Join(runs, ", "), n)
}

func (g *resultGroup) reason() string {
	f := g.first()
	s := f.Reason
	if f.Doubt != "" {
		s += " (" + f.Doubt + ")"
	}
	if from := f.From; from.IsValid() && from != g.target {
		s += " from " + from.String()
	}
	if f.Error != "" {
		s += ": " + f.Error
	}
	return s
}

// ttl shows the TTL when the whole group shares it.
func (g *resultGroup) ttl() string {
	ttl := g.first().TTL
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

// rtt shows the median RTT of the group's answers.
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
	lo, hi := g.first().Tries, g.first().Tries
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

// sourcesText names the probes' sources: a few in full, more by count.
func sourcesText(r *probe.Report) string {
	switch n := len(r.Sources); {
	case n == 0:
		return r.Source.String()
	case n <= 4:
		return joinAddrs(r.Sources, ", ")
	default:
		return fmt.Sprintf("%s and %d more addresses", joinAddrs(r.Sources[:3], ", "), n-3)
	}
}

func joinAddrs(as []netip.Addr, sep string) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, sep)
}
