//go:build linux

package nft_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
	"github.com/perimeter-dev/perimeter/rules/nft"
)

// TestIptablesNftLogs loads iptables rulesets with iptables-nft, which
// keeps LOG as an xt target but writes NFLOG as a native log with a group
// and a port range as a range expression, and reads them back the way
// the live read composes its two readers: every table is read once, in
// iptables syntax by the iptables reader, with no note that it mixes in
// native rules. A log without a group, which only nft writes, is what
// iptables-nft cannot show: that table goes to the nft reader.
func TestIptablesNftLogs(t *testing.T) {
	needLab(t, "iptables-nft-restore", "ip6tables-nft-restore", "nft")
	tests := []struct {
		name  string
		fam   rules.Family
		save  string
		nft   string   // nft commands run after the restore
		want  []string // rule texts, in order; "*": nft's spelling, whatever it is
		mixes bool     // the table truly mixes in native rules
	}{
		{"LOG", rules.FamilyIPv4, `-A INPUT -p tcp -m tcp --dport 22 -j LOG --log-prefix "ssh " --log-level 6`, "",
			[]string{`-A INPUT -p tcp -m tcp --dport 22 -j LOG --log-prefix "ssh " --log-level 6`}, false},
		{"LOG after a port range", rules.FamilyIPv4, "-A INPUT -p tcp -m tcp --dport 1000:2000 -j LOG\n-A INPUT -p tcp -m tcp --dport 1000:2000 -j DROP", "",
			[]string{"-A INPUT -p tcp -m tcp --dport 1000:2000 -j LOG", "-A INPUT -p tcp -m tcp --dport 1000:2000 -j DROP"}, false},
		{"NFLOG", rules.FamilyIPv4, `-A INPUT -s 198.18.0.2/32 -j NFLOG --nflog-prefix "x" --nflog-group 3 --nflog-size 64`, "",
			[]string{"-A INPUT -s 198.18.0.2/32 -j NFLOG --nflog-prefix x --nflog-group 3 --nflog-size 64"}, false},
		{"IPv6 LOG and NFLOG", rules.FamilyIPv6, "-A INPUT -p udp -m udp --dport 500:600 -j LOG\n-A INPUT -p tcp -j NFLOG --nflog-group 2", "",
			[]string{"-A INPUT -p udp -m udp --dport 500:600 -j LOG", "-A INPUT -p tcp -j NFLOG --nflog-group 2"}, false},
		{"nft's own log", rules.FamilyIPv4, "-A INPUT -p tcp -m tcp --dport 22 -j LOG", `add rule ip filter INPUT log prefix "native "`,
			[]string{"*", `log prefix "native "`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := readIptablesNft(tt.fam, "*filter\n:INPUT ACCEPT [0:0]\n"+tt.save+"\nCOMMIT\n", tt.nft)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs.Tables) != 1 {
				t.Fatalf("got %d tables, want the filter table once", len(rs.Tables))
			}
			tb := rs.Tables[0]
			var texts []string
			for _, r := range tb.Chain("INPUT").Rules {
				if len(texts) == 0 || texts[len(texts)-1] != r.Origin.Text {
					texts = append(texts, r.Origin.Text)
				}
			}
			if !textsMatch(texts, tt.want) {
				t.Errorf("rules read as\n%q\nwant\n%q", texts, tt.want)
			}
			if tb.Backend != rules.BackendIptablesNft {
				t.Errorf("table read as %s, want %s", tb.Backend, rules.BackendIptablesNft)
			}
			mixes := slices.ContainsFunc(rs.Notes, func(n string) bool { return strings.Contains(n, "mixes") })
			incompatible := slices.ContainsFunc(rs.Notes, func(n string) bool { return strings.Contains(n, "incompatible") })
			if mixes != tt.mixes || incompatible != tt.mixes {
				t.Errorf("notes %q, want a note that the table mixes in native rules: %v", rs.Notes, tt.mixes)
			}
		})
	}
}

func textsMatch(got, want []string) bool {
	return slices.EqualFunc(got, want, func(g, w string) bool { return w == "*" || g == w })
}

// readIptablesNft loads an iptables-save text with iptables-nft (and runs
// nft commands) in a scratch namespace and reads it back as the live read
// does: both readers, a table the nft reader read dropped from the
// iptables reader's.
func readIptablesNft(fam rules.Family, save, nftCmds string) (*rules.Ruleset, error) {
	tool := "iptables-nft-restore"
	if fam == rules.FamilyIPv6 {
		tool = "ip6tables-nft-restore"
	}
	var rs *rules.Ruleset
	err := nft.InScratchNetNS(func() error {
		if err := run(tool, save); err != nil {
			return err
		}
		if nftCmds != "" {
			if err := run("nft", nftCmds); err != nil {
				return err
			}
		}
		ctx := context.Background()
		var err error
		if rs, err = ipt.ReadLive(ctx); err != nil {
			return err
		}
		nrs, err := nft.ReadLive(ctx, nft.Options{NetNSFd: -1, SkipIptablesNft: true})
		if err != nil {
			return err
		}
		rs.Tables = slices.DeleteFunc(rs.Tables, func(t *rules.Table) bool {
			return t.Backend == rules.BackendIptablesNft && nrs.Table(t.Family, t.Name) != nil
		})
		rs.Merge(nrs)
		return nil
	})
	return rs, err
}

func run(tool, stdin string) error {
	args := []string{}
	if tool == "nft" {
		args = []string{"-f", "-"}
	}
	cmd := exec.Command(tool, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", tool, err, out)
	}
	return nil
}

// needLab skips a test that needs root and tools, unless CI is set: then
// it fails.
func needLab(t *testing.T, tools ...string) {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("CI") != "" {
			t.Fatal(why + " (CI is set)")
		}
		t.Skip(why)
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			skip("no " + tool)
		}
	}
	if err := nft.InScratchNetNS(func() error { return nil }); errors.Is(err, nft.ErrPermission) || errors.Is(err, nft.ErrUnsupported) {
		skip(err.Error())
	} else if err != nil {
		t.Fatal(err)
	}
}
