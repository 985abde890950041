package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
)

// tool is a prober run from the lab's prober namespace; parse turns its
// output into a state per port.
type tool struct {
	name  string
	args  []string
	parse func([]byte) (map[uint16]probe.State, error)
}

func perimeterTool(bin string, t target) tool {
	args := []string{bin, "probe", "198.18.0.1", "--mode", "syn", "--protocol", t.proto, "--ports", "all", "--output", "json"}
	if t.sources > 1 {
		args = append(args, "--source", sourceList(t))
	}
	return tool{"perimeter", args, parsePerimeter}
}

func nmapTool(bin string, t target) tool {
	return tool{"nmap", []string{bin, "-sS", "-T4", "-p-", "-n", "-Pn", "--reason", "-oX", "-", "198.18.0.1"}, parseNmap}
}

// nmapUDPTool runs nmap -sU for as long as perimeter took (an exact UDP
// scan of every port takes nmap hours when the target limits its ICMP):
// the result is how far it got.
func nmapUDPTool(bin string, budget float64) tool {
	secs := fmt.Sprintf("%ds", max(1, int(budget+0.5)))
	return tool{"nmap", []string{bin, "-sU", "-T4", "-p-", "-n", "-Pn", "--reason", "--host-timeout", secs, "--stats-every", "2s", "-oX", "-", "198.18.0.1"}, parseNmap}
}

// runResult is one timed run.
type runResult struct {
	seconds  float64
	maxRSSKB int64
	wrong    int    // ports in another state than the rules give (missing included)
	unknown  int    // ports the tool could not tell
	first    string // the first misclassified port
	progress string // how far nmap -sU got
}

func (r runResult) verdict() string {
	if r.progress != "" {
		return r.progress
	}
	s := fmt.Sprintf("%d misclassified, %d unknown", r.wrong, r.unknown)
	if r.first != "" {
		s += " (e.g. " + r.first + ")"
	}
	return s
}

// runTool runs t in the prober namespace (ip netns exec) under measureMode.
func runTool(ctx context.Context, l *sandbox.Lab, t tool, tg target) (runResult, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.Prober}, measuredArgs(t.args)...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := runResult{seconds: time.Since(start).Seconds()}
	var stderr string
	r.maxRSSKB, stderr = peakRSS(errOut.Bytes())
	if err != nil {
		return r, fmt.Errorf("%w: %s", err, stderr)
	}
	if pct, ok := nmapProgress(out.Bytes()); ok && tg.proto == "udp" && t.name == "nmap" {
		r.progress = pct
		return r, nil
	}
	states, err := t.parse(out.Bytes())
	if err != nil {
		return r, err
	}
	r.wrong, r.unknown, r.first = compare(states, tg)
	return r, nil
}

// compare counts the ports whose state differs from the rules' (a port
// missing from the output counts too) and the ports left unknown.
func compare(states map[uint16]probe.State, tg target) (wrong, unknown int, first string) {
	for p := 1; p <= 65535; p++ {
		want, got := tg.expected(uint16(p)), states[uint16(p)]
		switch {
		case got == want:
		case got == probe.Unknown:
			unknown++
		default:
			wrong++
			if first == "" {
				first = fmt.Sprintf("%d: %s, want %s", p, orNone(got), want)
			}
		}
	}
	return wrong, unknown, first
}

// nmapProgress reads how far a scan that ran out of time got: nmap's last
// taskprogress, and whether it gave up on the host.
func nmapProgress(out []byte) (string, bool) {
	var run struct {
		Progress []struct {
			Task      string `xml:"task,attr"`
			Percent   string `xml:"percent,attr"`
			Remaining string `xml:"remaining,attr"`
		} `xml:"taskprogress"`
		Hosts []struct{} `xml:"host"`
	}
	if err := xml.Unmarshal(out, &run); err != nil || len(run.Progress) == 0 {
		return "", false
	}
	last := run.Progress[len(run.Progress)-1]
	s := fmt.Sprintf("%s %s%% done, %s s still to go by its own estimate", last.Task, last.Percent, last.Remaining)
	if len(run.Hosts) == 0 || bytes.Contains(out, []byte("timedout=\"true\"")) {
		s += "; host timed out, no port states reported"
	}
	return s, true
}

func orNone(s probe.State) string {
	if s == "" {
		return "missing"
	}
	return string(s)
}

func parsePerimeter(out []byte) (map[uint16]probe.State, error) {
	rep, err := probe.DecodeReport(bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	m := map[uint16]probe.State{}
	for _, r := range rep.Results { // one protocol a run
		m[r.Port] = r.State
	}
	return m, nil
}

// nmapRun is the part of nmap's XML output we read.
type nmapRun struct {
	Ports struct {
		Extra []struct {
			State   string `xml:"state,attr"`
			Reasons []struct {
				Reason string `xml:"reason,attr"`
				Ports  string `xml:"ports,attr"`
			} `xml:"extrareasons"`
		} `xml:"extraports"`
		Port []struct {
			ID    uint16 `xml:"portid,attr"`
			State struct {
				State  string `xml:"state,attr"`
				Reason string `xml:"reason,attr"`
			} `xml:"state"`
		} `xml:"port"`
	} `xml:"host>ports"`
}

// parseNmap maps nmap's answers to perimeter's words: filtered with
// reason no-response is stealth, filtered with an ICMP reason rejected.
func parseNmap(out []byte) (map[uint16]probe.State, error) {
	var run nmapRun
	if err := xml.Unmarshal(out, &run); err != nil {
		return nil, fmt.Errorf("nmap xml: %w", err)
	}
	m := map[uint16]probe.State{}
	for _, p := range run.Ports.Port {
		m[p.ID] = nmapState(p.State.State, p.State.Reason)
	}
	for _, e := range run.Ports.Extra {
		for _, r := range e.Reasons {
			if err := eachPort(r.Ports, func(p uint16) { m[p] = nmapState(e.State, r.Reason) }); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func nmapState(state, reason string) probe.State {
	switch {
	case state == "open":
		return probe.Open
	case state == "closed":
		return probe.Closed
	case (state == "filtered" || state == "open|filtered") && reason == "no-response":
		return probe.Stealth
	case state == "filtered" && (strings.Contains(reason, "unreach") || strings.Contains(reason, "prohibited")):
		return probe.Rejected
	}
	return probe.Unknown
}

// eachPort walks nmap's "1-21,23,25-79".
func eachPort(list string, fn func(uint16)) error {
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			return fmt.Errorf("nmap ports %q", list)
		}
		for p := a; p <= b; p++ {
			fn(uint16(p))
		}
	}
	return nil
}
