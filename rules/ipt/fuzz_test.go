package ipt

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/perimeter-dev/perimeter/rules"
)

// Run one target at a time, anchored (-fuzz=FuzzParse alone matches both
// targets, which go test refuses):
//
//	go test -run='^$' -fuzz='^FuzzParse$' -fuzztime=10m -fuzzminimizetime=5s ./rules/ipt/
//	go test -run='^$' -fuzz='^FuzzParseIPSets$' -fuzztime=10m ./rules/ipt/
//
// The corpus seeds are kilobytes long; the default minimizing time (60s
// per new input) then takes most of a run, hence -fuzzminimizetime.

// seedFiles are the testdata rulesets and the smaller corpus files.
func seedFiles(f *testing.F, exts ...string) {
	f.Helper()
	for _, dir := range []string{testdataDir, corpusDir} {
		for _, ext := range exts {
			paths, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
			for _, p := range paths {
				data, err := os.ReadFile(p)
				if err == nil && len(data) < 64<<10 {
					f.Add(data, strings.HasSuffix(p, ".v6"))
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	seedFiles(f, ".v4", ".v6", ".pre")
	f.Add([]byte(sample), false)
	f.Add([]byte("*filter\n-A INPUT -m set --match-set nets src -m multiport --ports 1:2 -j ACCEPT\nCOMMIT\n"), false)
	f.Add([]byte("-P INPUT DROP\n-N x\n-A INPUT -g x\n-A x -p icmp --icmp-type 3/4 -j REJECT\n"), false)
	// loops, which the parser refuses
	f.Add([]byte("*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -p encap -j B\n-A B -g A\nCOMMIT\n"), false)
	f.Add([]byte("-N A\n-A A -j SYNPROXY --mss 1460\n-A A -j A\n"), true)
	sets, err := ParseIPSets(strings.NewReader(ipsetListing))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, v6 bool) {
		opts := Options{Family: rules.FamilyIPv4, Source: "fuzz", IPSets: sets}
		if v6 {
			opts.Family = rules.FamilyIPv6
		}
		rs, err := Parse(bytes.NewReader(data), opts)
		checkParsed(t, rs, err)
		rs, err = ParseRules(bytes.NewReader(data), "filter", opts)
		checkParsed(t, rs, err)
	})
}

// checkParsed checks what any parse must give: a one-line error, or
// rules that all say where they came from.
func checkParsed(t *testing.T, rs *rules.Ruleset, err error) {
	if err != nil {
		msg := err.Error()
		if len(msg) > maxErrorLen || strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) {
			t.Fatalf("error not one short printable line: %.300q", msg)
		}
		return
	}
	for _, tb := range rs.Tables {
		if loop := rules.JumpLoop(tb); loop != nil {
			t.Fatalf("accepted a loop: %s", rules.LoopText(loop))
		}
		for _, c := range tb.Chains {
			for _, r := range c.Rules {
				if r.Origin.Line <= 0 || r.Origin.Position <= 0 || r.Origin.Chain != c.Name {
					t.Fatalf("origin %+v", r.Origin)
				}
				if (r.Verdict.Kind == rules.Jump || r.Verdict.Kind == rules.Goto) && tb.Chain(r.Verdict.Chain) == nil {
					t.Fatalf("jump to missing chain %q", r.Verdict.Chain)
				}
				for _, m := range r.Matches {
					checkMatch(t, m)
				}
			}
		}
	}
}

func checkMatch(t *testing.T, m rules.Match) {
	if m.Recent != nil || m.IsOpaque() {
		return
	}
	for _, e := range m.Elems {
		if len(e) != len(m.Fields) {
			t.Fatalf("elem of %d intervals for %d fields: %s", len(e), len(m.Fields), m.Text)
		}
		for _, iv := range e {
			if len(iv.Lo) != len(iv.Hi) || bytes.Compare(iv.Lo, iv.Hi) > 0 {
				t.Fatalf("bad interval %x-%x: %s", iv.Lo, iv.Hi, m.Text)
			}
		}
	}
	_ = describe(m)
}

func FuzzParseIPSets(f *testing.F) {
	f.Add([]byte(ipsetListing))
	paths, _ := filepath.Glob(filepath.Join(testdataDir, "*.ipsets"))
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*.ipsets"))
	for _, p := range append(paths, more...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sets, err := ParseIPSets(bytes.NewReader(data))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		// Every set, as a match of both families and a few flag lists.
		var b strings.Builder
		b.WriteString("*filter\n")
		for name := range sets {
			if strings.ContainsAny(name, " \t\"\\") || name == "" || strings.HasPrefix(name, "-") || name == "!" {
				continue
			}
			for _, flags := range []string{"src", "dst,src", "src,dst,dst"} {
				b.WriteString("-A INPUT -m set --match-set " + name + " " + flags + " -j ACCEPT\n")
				b.WriteString("-A INPUT -m set ! --match-set " + name + " " + flags + " --return-nomatch -j ACCEPT\n")
			}
		}
		b.WriteString("COMMIT\n")
		for _, fam := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
			rs, err := Parse(strings.NewReader(b.String()), Options{Family: fam, IPSets: sets})
			if err != nil {
				t.Fatalf("set rules refused: %v", err)
			}
			checkParsed(t, rs, nil)
		}
	})
}
