package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/report"
)

const readmePath = "../../README.md"

// TestReadmeCommandsParse: every perimeter command line the README shows
// names a real command with real flags and the right number of
// arguments.
func TestReadmeCommandsParse(t *testing.T) {
	lines := readmeCommands(t)
	if len(lines) < 10 {
		t.Fatalf("found only %d perimeter command lines in the README", len(lines))
	}
	for _, line := range lines {
		args := shellWords(line)
		root := newRootCmd(&strings.Builder{}, &strings.Builder{}, terminal{getenv: func(string) string { return "" }})
		cmd, rest, err := root.Find(args)
		if err != nil || cmd == root {
			t.Errorf("README: %q: no such command (%v)", line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("README: %q: %v", line, err)
			continue
		}
		if cmd.Args != nil {
			if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
				t.Errorf("README: %q: %v", line, err)
			}
		}
	}
}

// readmeCommands are the perimeter command lines of the README: any line
// of an sh block, and the lines after a "$ " prompt in the others;
// without sudo, ip netns exec or go run in front, joined where a line
// ends in a backslash, and cut at a comment, a redirection or a pipe.
func readmeCommands(t *testing.T) []string {
	f, err := os.Open(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prefix := regexp.MustCompile(`^(sudo )?(ip netns exec \S+ )?(go run \./cmd/perimeter|perimeter)( |$)`)
	var out []string
	block, pending := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lang, ok := strings.CutPrefix(line, "```"); ok {
			block = map[bool]string{true: "", false: "code:" + lang}[block != ""]
			continue
		}
		if pending != "" {
			line, pending = pending+" "+strings.TrimSpace(line), ""
		} else if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			line = cmd
		} else if block != "code:sh" {
			continue
		}
		if joined, ok := strings.CutSuffix(line, "\\"); ok {
			pending = joined
			continue
		}
		if m := prefix.FindString(line); m != "" {
			out = append(out, cutTail(line[len(m):]))
		}
	}
	return out
}

func cutTail(line string) string {
	for _, sep := range []string{" #", " >", " |", " 2>"} {
		line, _, _ = strings.Cut(line, sep)
	}
	return strings.TrimSpace(line)
}

// shellWords splits a command line at spaces, keeping quoted words
// whole.
func shellWords(s string) []string {
	var out []string
	var word strings.Builder
	quote := rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote = r
		case quote == 0 && r == ' ':
			if word.Len() > 0 {
				out, word = append(out, word.String()), strings.Builder{}
			}
		default:
			word.WriteRune(r)
		}
	}
	if word.Len() > 0 {
		out = append(out, word.String())
	}
	return out
}

// TestReadmeDocumentsEveryFinding: the README has a row for every finding
// of the catalogue, with its usual severity.
func TestReadmeDocumentsEveryFinding(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range report.Catalogue {
		row := "| `" + k.ID + "` | " + k.Severity.String() + " | "
		if !strings.Contains(string(b), row) {
			t.Errorf("README lacks the row %q", row)
		}
	}
}

// TestReadmeShowsTheLabAudit: the audit output the README shows is the
// lab's, as its golden file holds it.
func TestReadmeShowsTheLabAudit(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(testdata + "/golden/audit-lab-iptables.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "$ sudo perimeter audit --probe-results remote.json\n"+string(golden)+"```") {
		t.Error("the README's audit output is not testdata/golden/audit-lab-iptables.txt: paste it again")
	}
}
