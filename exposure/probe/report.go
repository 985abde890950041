package probe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Schema names the JSON layout of Report; DecodeReport accepts only it.
const Schema = "perimeter.probe/v1"

// Report is one run of the prober against one target: what `perimeter
// probe --output json` prints and the audit imports from a remote vantage.
type Report struct {
	Schema string     `json:"schema"`
	Target netip.Addr `json:"target"`
	// Source is the address the probes came from.
	Source      netip.Addr    `json:"source,omitzero"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Interrupted bool          `json:"interrupted"` // stopped early: undecided ports are unknown/interrupted
	Scans       []Scan        `json:"scans"`       // one per protocol
	Results     []Result      `json:"results"`     // one per probed port, by protocol then port order
	Notes       []string      `json:"notes"`
}

// Scan is one protocol's part of a Report.
type Scan struct {
	Proto    string        `json:"protocol"`
	Mode     Mode          `json:"mode"`
	Ports    int           `json:"ports"`
	Counts   map[State]int `json:"counts"`
	Duration time.Duration `json:"duration_ns"`
	Stats    Stats         `json:"stats"`
}

func newReport(target netip.Addr) *Report {
	return &Report{Schema: Schema, Target: target, Started: time.Now(), Notes: []string{}, Scans: []Scan{}, Results: []Result{}}
}

func (r *Report) notef(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func countStates(res []Result) map[State]int {
	m := map[State]int{}
	for _, s := range States {
		m[s] = 0
	}
	for _, x := range res {
		m[x.State]++
	}
	return m
}

// DecodeReport reads a Report written as JSON by `perimeter probe`.
func DecodeReport(r io.Reader) (*Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("decode probe report: %w", err)
	}
	if rep.Schema != Schema {
		return nil, fmt.Errorf("decode probe report: schema %q, want %q", rep.Schema, Schema)
	}
	return &rep, nil
}

// WriteJSON writes the report as JSON, streaming the results one to a
// line: a full scan has 65,535 of them.
func (r *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	head := []struct {
		key string
		val any
	}{
		{"schema", r.Schema}, {"target", r.Target}, {"source", r.Source}, {"started", r.Started},
		{"duration_ns", r.Duration}, {"interrupted", r.Interrupted}, {"scans", r.Scans}, {"notes", r.Notes},
	}
	bw.WriteString("{\n")
	for _, h := range head {
		if h.key == "source" && !r.Source.IsValid() {
			continue
		}
		b, err := json.MarshalIndent(h.val, "  ", "  ")
		if err != nil {
			return fmt.Errorf("write probe report: %w", err)
		}
		fmt.Fprintf(bw, "  %q: %s,\n", h.key, b)
	}
	if err := writeResults(bw, r.Results); err != nil {
		return err
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func writeResults(bw *bufio.Writer, rs []Result) error {
	bw.WriteString("  \"results\": [")
	for i, x := range rs {
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("write probe report: %w", err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(rs) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n")
	return nil
}
