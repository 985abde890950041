package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"github.com/perimeter-dev/perimeter/report"
)

// BenchmarkAuditTUM: `perimeter audit`, from start to report, of a lab
// host loaded with the 2,807-rule TUM chair firewall and 10 listeners:
// reading both backends, the sockets and the host, predicting both
// families and protocols, the local probe, the banners and the report.
// Issue 8 asks for under 2 s.
func BenchmarkAuditTUM(b *testing.B) {
	ruleset, err := os.ReadFile(filepath.Join(corpusDir, "tum-i8-chair-fw-2013-10-20.v4"))
	if err != nil {
		b.Skipf("corpus: %v", err)
	}
	lab := labtest.NewTestLab(b, sandbox.Config{})
	if err := lab.LoadIPTables(context.Background(), false, false, false, bytes.NewReader(ruleset)); err != nil {
		b.Fatal(err)
	}
	if err := lab.Listen("tcp", []uint16{22, 25, 53, 80, 443, 3306, 5432, 6379, 8080, 31337}); err != nil {
		b.Fatal(err)
	}
	var out string
	for b.Loop() {
		var stderr string
		var code int
		if out, stderr, code = runIn(b, lab, lab.Target, "audit", "--output", "json"); code > exitFindings {
			b.Fatalf("audit: exit %d: %s", code, stderr)
		}
	}
	var a report.Audit
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		b.Fatal(err)
	}
	if n := rulesRead(a.Header); n < 2807 || a.Header.Listeners < 10 {
		b.Fatalf("the audit read %d rules and %d listeners, want the 2,807 rules of TUM and 10", n, a.Header.Listeners)
	}
	b.ReportMetric(float64(len(a.Rows)), "rows")
}

func rulesRead(h report.Header) int {
	n := 0
	for _, be := range h.Backends {
		n += be.Rules
	}
	return n
}
