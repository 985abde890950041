package main

// A prediction from rule files must not depend on the machine that makes
// it: the environment of a file is the neutral default, never this
// machine's addresses, routes or sysctls. Every testdata and corpus
// ruleset is predicted here and in a fresh, empty network namespace
// (unshare --net), and the JSON must be the same.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/perimeter-dev/perimeter/internal/corpus"
)

const corpusDir = "../../../shared/corpus"

// TestMain lets the test binary stand in for perimeter itself, so a test
// can run the command in another network namespace.
func TestMain(m *testing.M) {
	if os.Getenv("PERIMETER_TEST_MAIN") == "1" {
		if len(os.Args) > 1 && os.Args[1] == "__lab" {
			os.Exit(holdLab())
		}
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

func TestFilePredictionsIgnoreTheMachine(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		skipOrFail(t, "needs unshare (util-linux)")
	}
	cases := ruleFileArgs(t)
	for _, args := range cases {
		t.Run(filepath.Base(args[len(args)-1]), func(t *testing.T) {
			args := append([]string{"rules", "--output", "json"}, args...)
			here, stderr, code := runCLI(args...)
			if code != exitOK {
				t.Fatalf("here: exit %d: %s", code, stderr)
			}
			there := runInEmptyNetns(t, args)
			if here != there {
				t.Errorf("the prediction depends on the machine:\nhere:\n%s\nin an empty namespace:\n%s", here, there)
			}
		})
	}
	t.Logf("%d rule files predicted alike here and in an empty network namespace", len(cases))
}

func runInEmptyNetns(t *testing.T, args []string) string {
	cmd := exec.Command("unshare", append([]string{"--net", "--", os.Args[0]}, args...)...)
	cmd.Env = append(os.Environ(), "PERIMETER_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("in an empty namespace: %v: %s", err, stderr.String())
	}
	return stdout.String()
}

// ruleFileArgs are the flags that read each ruleset of testdata and of
// the corpus (with its ipsets and the file loaded before it).
func ruleFileArgs(t *testing.T) [][]string {
	var out [][]string
	for _, pattern := range []string{"iptables/*.v4", "iptables/*.v6", "nft/*.nft"} {
		paths, _ := filepath.Glob(filepath.Join(testdata, pattern))
		for _, p := range paths {
			out = append(out, fileArgs4(p))
		}
	}
	for _, name := range loadingCorpusFiles(t) {
		out = append(out, fileArgs4(filepath.Join(corpusDir, name)))
	}
	return out
}

// fileArgs4 reads path by its kind, sidecars first.
func fileArgs4(path string) []string {
	var args []string
	if _, err := os.Stat(path + ".ipsets"); err == nil {
		args = append(args, "--ipset", path+".ipsets")
	}
	flag := map[string]string{".v4": "--iptables-save", ".v6": "--ip6tables-save", ".nft": "--nft", ".json": "--nft-json"}[filepath.Ext(path)]
	if _, err := os.Stat(path + ".pre"); err == nil {
		args = append(args, flag, path+".pre")
	}
	return append(args, flag, path)
}

// loadingCorpusFiles are the corpus rulesets SOURCES.tsv marks as loading.
func loadingCorpusFiles(t *testing.T) []string {
	rows, err := corpus.Loading(corpusDir)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus: %v", err)
		}
		t.Logf("corpus: %v (skipped)", err)
	}
	var out []string
	for _, col := range rows {
		out = append(out, col[0])
	}
	return out
}

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root")
	}
}

func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(reason + " (CI is set)")
	}
	t.Skip(reason)
}
