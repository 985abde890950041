package ipt

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

// testdataDir holds the project's own iptables rulesets.
const testdataDir = "../../testdata/iptables"

func testdataFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.v4", "*.v6"} {
		m, _ := filepath.Glob(filepath.Join(testdataDir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no rulesets in %s", testdataDir)
	}
	return files
}

// TestTestdata parses every testdata ruleset (with its sidecars): no
// errors, no opaque match that the model could hold, no notes but the
// expected one.
func TestTestdata(t *testing.T) {
	for _, path := range testdataFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rs, err := parseCorpusFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range rs.Notes {
				if !strings.Contains(n, "members time out") { // fail2ban's set
					t.Errorf("note: %q", n)
				}
			}
			for _, tb := range rs.Tables {
				for _, c := range tb.Chains {
					for _, r := range c.Rules {
						for _, m := range r.Matches {
							if m.IsOpaque() && m.Choice == nil && !expectedOpaque(m.Text) {
								t.Errorf("%s: opaque %q", r.Origin, m.Text)
							}
						}
					}
				}
			}
		})
	}
}

// expectedOpaque are the matches of the testdata that no model field
// holds.
func expectedOpaque(text string) bool {
	return slices.ContainsFunc([]string{"--ctorigdstport", "-m rt "}, func(s string) bool { return strings.Contains(text, s) })
}

func TestTestdataDocker(t *testing.T) {
	rs, err := parseCorpusFile(t, filepath.Join(testdataDir, "docker-published.v4"))
	if err != nil {
		t.Fatal(err)
	}
	got := chainRules(rs, "DOCKER")
	want := []string{
		"iif docker0 => return",
		"!iif docker0 ; l4proto 6 ; dport 8080 => dnat{198.19.0.2-invalid IP:80-0}",
		"!iif docker0 ; l4proto 6 ; dport 8443 => dnat{198.19.0.3-invalid IP:443-0}",
		"!iif docker0 ; l4proto 6 ; dport 9200 => dnat{198.19.0.4-invalid IP:9200-0}",
		"!iif docker0 ; l4proto 17 ; dport 5353 => dnat{198.19.0.5-invalid IP:53-0}",
		"daddr 198.19.0.2 ; !iif docker0 ; oif docker0 ; l4proto 6 ; dport 80 => accept",
		"daddr 198.19.0.3 ; !iif docker0 ; oif docker0 ; l4proto 6 ; dport 443 => accept",
		"daddr 198.19.0.4 ; !iif docker0 ; oif docker0 ; l4proto 6 ; dport 9200 => accept",
		"daddr 198.19.0.5 ; !iif docker0 ; oif docker0 ; l4proto 17 ; dport 53 => accept",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("DOCKER chains:\n%s", strings.Join(got, "\n"))
	}
	if c := rs.Table(rules.FamilyIPv4, "nat").Chain("PREROUTING"); c.Priority != rules.PriorityDstNAT || c.Type != "nat" {
		t.Errorf("nat PREROUTING %+v", c)
	}
}
