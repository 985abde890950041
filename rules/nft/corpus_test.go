package nft

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir is ../shared/corpus beside the checkout.
const corpusDir = "../../../shared/corpus"

// corpusFiles lists the corpus's nft rulesets (format nft text or nft
// json) that load, as SOURCES.tsv records; skipped when the corpus is
// absent, unless CI is set.
func corpusFiles(t *testing.T, ext string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "SOURCES.tsv"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus: %v", err)
		}
		t.Skipf("corpus: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if len(col) >= 8 && col[7] == "OK" && strings.HasSuffix(col[0], ext) {
			out = append(out, filepath.Join(corpusDir, col[0]))
		}
	}
	if len(out) == 0 {
		t.Fatalf("corpus: no %s rulesets", ext)
	}
	return out
}

func TestParseCorpusJSON(t *testing.T) {
	paths := corpusFiles(t, ".json")
	fixtures, _ := filepath.Glob("testdata/json/*.json")
	for _, p := range append(paths, fixtures...) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := ParseJSON(bytes.NewReader(data), Options{Source: p})
			if err != nil {
				t.Fatal(err)
			}
			if rs.NumRules() == 0 {
				t.Error("no rules read")
			}
		})
	}
}

func TestReadCorpusText(t *testing.T) {
	paths := corpusFiles(t, ".nft")
	needRoot(t)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rs, err := ReadText(ctx, bytes.NewReader(data), Options{Source: p})
			if err != nil {
				t.Fatal(err)
			}
			if rs.NumRules() == 0 {
				t.Error("no rules read")
			}
		})
	}
}

// needRoot skips a test that loads rules into a scratch namespace when
// the process may not, unless CI is set.
func needRoot(t *testing.T) {
	t.Helper()
	err := InScratchNetNS(func() error { return nil })
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("scratch namespace: %v", err)
	}
	if errors.Is(err, ErrPermission) || errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	t.Fatal(err)
}
