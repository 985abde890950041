package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// targetResult collects one target's runs per tool.
type targetResult struct {
	target target
	runs   map[string][]runResult
}

func (t *targetResult) add(tool string, r runResult) {
	if t.runs == nil {
		t.runs = map[string][]runResult{}
	}
	t.runs[tool] = append(t.runs[tool], r)
}

func (t *targetResult) median(tool string) float64 { return summarizeRuns(t.runs[tool]).median }

// toolSummary is a tool's median time, worst misclassification and
// unknown count, and peak memory over the rounds.
type toolSummary struct {
	median   float64
	wrong    int
	unknown  int
	maxRSSMB int64
	progress string
}

func summarizeRuns(rs []runResult) toolSummary {
	var s toolSummary
	var secs []float64
	for _, r := range rs {
		secs = append(secs, r.seconds)
		s.wrong, s.unknown = max(s.wrong, r.wrong), max(s.unknown, r.unknown)
		s.maxRSSMB = max(s.maxRSSMB, r.maxRSSKB/1024)
		s.progress = r.progress
	}
	slices.Sort(secs)
	if n := len(secs); n > 0 {
		s.median = (secs[(n-1)/2] + secs[n/2]) / 2
	}
	return s
}

func summarize(w io.Writer, cfg config, all []targetResult) {
	fmt.Fprintf(w, "\nperimeter: %s\nnmap:      %s\n", strings.Join(perimeterTool(cfg.perimeter, targets["drop"]).args, " "), strings.Join(nmapTool(cfg.nmap, targets["drop"]).args, " "))
	fmt.Fprintf(w, "udp:       perimeter --protocol udp; nmap -sU -T4 -p- -n -Pn --host-timeout <perimeter's median>\n")
	fmt.Fprintf(w, "%d rounds per target; median wall time; most misclassified / unknown ports in any round; peak RSS\n\n", cfg.rounds)
	fmt.Fprintf(w, "| target | perimeter | nmap | ratio | perimeter wrong/unknown | nmap wrong/unknown | peak RSS perimeter / nmap |\n|---|---|---|---|---|---|---|\n")
	for _, t := range all {
		p, n := summarizeRuns(t.runs["perimeter"]), summarizeRuns(t.runs["nmap"])
		ratio, nmapErr := "—", fmt.Sprintf("%d / %d", n.wrong, n.unknown)
		if p.median > 0 {
			ratio = fmt.Sprintf("%.1fx", n.median/p.median)
		}
		if n.progress != "" { // nmap ran for perimeter's time: no ratio
			ratio, nmapErr = "—", n.progress
		}
		fmt.Fprintf(w, "| %s | %.2f s | %.2f s | %s | %d / %d | %s | %d MB / %d MB |\n", t.target.name,
			p.median, n.median, ratio, p.wrong, p.unknown, nmapErr, p.maxRSSMB, n.maxRSSMB)
	}
}
