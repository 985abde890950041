package probe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/perimeter-dev/perimeter/internal/jsonerr"
	"github.com/perimeter-dev/perimeter/internal/quote"
)

// Schema names the JSON layout of Report; DecodeReport accepts only it.
const Schema = "perimeter.probe/v1"

// Report is one run of the prober against one target: what `perimeter
// probe --output json` prints and the audit imports from a remote vantage.
type Report struct {
	Schema string     `json:"schema"`
	Target netip.Addr `json:"target"`
	// Source is the address the probes came from; Sources lists them all
	// when they came from more than one (Source is the first).
	Source      netip.Addr    `json:"source,omitzero"`
	Sources     []netip.Addr  `json:"sources,omitempty"`
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
		return nil, fmt.Errorf("decode probe report: %w", jsonerr.Describe(nil, err))
	}
	if rep.Schema != Schema {
		return nil, fmt.Errorf("decode probe report: schema %s, want %q (the JSON of perimeter probe --output json)", quote.Q(rep.Schema), Schema)
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
		{"schema", r.Schema}, {"target", r.Target}, {"source", r.Source}, {"sources", r.Sources}, {"started", r.Started},
		{"duration_ns", r.Duration}, {"interrupted", r.Interrupted}, {"scans", r.Scans}, {"notes", r.Notes},
	}
	bw.WriteString("{\n")
	for _, h := range head {
		if (h.key == "source" && !r.Source.IsValid()) || (h.key == "sources" && len(r.Sources) == 0) {
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
	var b []byte
	for i, x := range rs {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		b = x.appendJSON(b[:0])
		bw.Write(b)
	}
	if len(rs) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n")
	return nil
}

// appendJSON appends r as json.Marshal would, without reflection: a full
// scan writes 65,535 of them.
func (r Result) appendJSON(b []byte) []byte {
	b = append(b, `{"protocol":`...)
	b = appendJSONString(b, r.Proto)
	b = append(b, `,"port":`...)
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	b = appendField(b, "state", string(r.State), true)
	b = appendField(b, "reason", r.Reason, true)
	b = appendField(b, "doubt", r.Doubt, r.Doubt != "")
	if r.From.IsValid() {
		b = appendField(b, "from", r.From.String(), true)
	}
	if r.TTL != 0 {
		b = strconv.AppendUint(append(b, `,"ttl":`...), uint64(r.TTL), 10)
	}
	if r.RTT != 0 {
		b = strconv.AppendInt(append(b, `,"rtt_ns":`...), int64(r.RTT), 10)
	}
	b = strconv.AppendInt(append(b, `,"tries":`...), int64(r.Tries), 10)
	b = appendField(b, "error", r.Error, r.Error != "")
	return append(b, '}')
}

func appendField(b []byte, key, val string, keep bool) []byte {
	if !keep {
		return b
	}
	b = append(append(append(b, ',', '"'), key...), '"', ':')
	return appendJSONString(b, val)
}

// appendJSONString quotes s the way encoding/json does: plain printable
// ASCII as it is, anything else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for _, c := range []byte(s) {
		if c < 0x20 || c >= 0x7f || strings.IndexByte(`"\\<>&`, c) >= 0 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}
