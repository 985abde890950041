package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// targetResult collects one target's runs per tool.
type targetResult struct {
	target string
	runs   map[string][]runResult
}

func (t *targetResult) add(tool string, r runResult) {
	if t.runs == nil {
		t.runs = map[string][]runResult{}
	}
	t.runs[tool] = append(t.runs[tool], r)
}

// toolSummary is a tool's median time, worst misclassification and peak
// memory over the rounds.
type toolSummary struct {
	median   float64
	wrong    int
	maxRSSMB int64
}

func summarizeRuns(rs []runResult) toolSummary {
	var s toolSummary
	var secs []float64
	for _, r := range rs {
		secs = append(secs, r.seconds)
		s.wrong = max(s.wrong, r.wrong)
		s.maxRSSMB = max(s.maxRSSMB, r.maxRSSKB/1024)
	}
	slices.Sort(secs)
	if n := len(secs); n > 0 {
		s.median = (secs[(n-1)/2] + secs[n/2]) / 2
	}
	return s
}

func summarize(w io.Writer, cfg config, all []targetResult) {
	fmt.Fprintf(w, "\nperimeter: %s\nnmap:      %s\n", strings.Join(perimeterTool(cfg.perimeter).args, " "), strings.Join(nmapTool(cfg.nmap).args, " "))
	fmt.Fprintf(w, "%d rounds per target; median wall time; most misclassified ports in any round; peak RSS\n\n", cfg.rounds)
	fmt.Fprintf(w, "%-8s %-16s %-16s %-8s %-14s %-14s %s\n", "target", "perimeter", "nmap", "ratio", "perimeter err", "nmap err", "peak RSS perimeter/nmap")
	for _, t := range all {
		p, n := summarizeRuns(t.runs["perimeter"]), summarizeRuns(t.runs["nmap"])
		ratio := 0.0
		if p.median > 0 {
			ratio = n.median / p.median
		}
		fmt.Fprintf(w, "%-8s %-16s %-16s %-8s %-14d %-14d %d MB / %d MB\n", t.target,
			fmt.Sprintf("%.2f s", p.median), fmt.Sprintf("%.2f s", n.median), fmt.Sprintf("%.1fx", ratio),
			p.wrong, n.wrong, p.maxRSSMB, n.maxRSSMB)
	}
}
