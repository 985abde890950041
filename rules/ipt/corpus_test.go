package ipt

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

// corpusDir holds real rulesets (see its README and SOURCES.tsv).
const corpusDir = "../../../shared/corpus"

// corpusRefused are corpus files the real iptables-restore refuses too
// (SOURCES.tsv: load FAIL), with the reason.
var corpusRefused = map[string]string{
	"ustclug-liimstrap-rules.v4": "host name", // rules name hosts; iptables-restore needs DNS
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.v4", "*.v6"} {
		m, _ := filepath.Glob(filepath.Join(corpusDir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("no corpus in %s", corpusDir)
		}
		t.Skipf("no corpus in %s", corpusDir)
	}
	return files
}

// parseCorpusFile parses a corpus file with its .ipsets and .pre
// sidecars, as the corpus README says to load them.
func parseCorpusFile(t testing.TB, path string) (*rules.Ruleset, error) {
	t.Helper()
	opts := Options{Family: rules.FamilyIPv4, Source: filepath.Base(path)}
	if strings.HasSuffix(path, ".v6") {
		opts.Family = rules.FamilyIPv6
	}
	if f, err := os.Open(path + ".ipsets"); err == nil {
		defer f.Close()
		if opts.IPSets, err = ParseIPSets(f); err != nil {
			t.Fatalf("%s.ipsets: %v", path, err)
		}
	}
	var inputs []Input
	for _, p := range []string{path + ".pre", path} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		inputs = append(inputs, Input{Name: filepath.Base(p), R: f})
	}
	return ParseMany(opts, inputs...)
}

func TestCorpus(t *testing.T) {
	for _, path := range corpusFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			rs, err := parseCorpusFile(t, path)
			if want, refused := corpusRefused[name]; refused {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("want an error about %s (iptables-restore refuses it too), got %v", want, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rs.NumRules() == 0 {
				t.Fatal("no rules")
			}
			t.Logf("%d rules, notes %q", rs.NumRules(), rs.Notes)
		})
	}
}

// BenchmarkParse parses the largest corpus rulesets from memory.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"tum-i8-chair-fw-2013-10-20.v4", "gfw-list-ssredir-2021.v4"} {
		data, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			b.Skip("no corpus")
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(bytes.NewReader(data), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
