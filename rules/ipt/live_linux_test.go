//go:build linux

package ipt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

const testNetns = "perim-ipt-test"

// restoreTool is the restore command of a backend for a ruleset file.
func restoreTool(path string, b rules.Backend) string {
	tool := "iptables"
	if strings.HasSuffix(path, ".v6") {
		tool = "ip6tables"
	}
	if b == rules.BackendIptablesLegacy {
		return tool + "-legacy-restore"
	}
	return tool + "-nft-restore"
}

// loads are the restore commands that load a ruleset with its sidecars.
func loads(path string, b rules.Backend) [][2]string {
	var out [][2]string
	if exists(path + ".ipsets") {
		out = append(out, [2]string{"ipset restore", path + ".ipsets"})
	}
	if exists(path + ".pre") {
		out = append(out, [2]string{restoreTool(path, b), path + ".pre"})
		return append(out, [2]string{restoreTool(path, b) + " --noflush", path})
	}
	return append(out, [2]string{restoreTool(path, b), path})
}

func exists(p string) bool {
	m, _ := filepath.Glob(p)
	return len(m) == 1
}

func readLiveIn(t *testing.T, ns string) *rules.Ruleset {
	t.Helper()
	var rs *rules.Ruleset
	var err error
	inNetns(t, ns, func() { rs, err = ReadLive(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestReadLiveMatchesFile loads each testdata ruleset into a scratch
// namespace with the real restore tool of each backend, reads it back
// live, and checks that the live read and the file parse give the same
// model.
func TestReadLiveMatchesFile(t *testing.T) {
	paths := append(testdataFiles(t), filepath.Join(corpusDir, "ufw-upstream-before-rules.v4"),
		filepath.Join(corpusDir, "ipset-whitelist-serverfault-759927.v4"), filepath.Join(corpusDir, "home-user-typical-2015.v4"))
	for _, path := range paths {
		for _, b := range []rules.Backend{rules.BackendIptablesNft, rules.BackendIptablesLegacy} {
			t.Run(filepath.Base(path)+"/"+string(b), func(t *testing.T) {
				if !exists(path) {
					t.Skip("absent")
				}
				scratchNetns(t, testNetns, loads(path, b)...)
				live := readLiveIn(t, testNetns)
				file, err := parseCorpusFile(t, path)
				if err != nil {
					t.Fatal(err)
				}
				compareRulesets(t, file, live, b)
			})
		}
	}
}

// compareRulesets checks every table of the file that does anything
// against the live table of the backend.
func compareRulesets(t *testing.T, file, live *rules.Ruleset, b rules.Backend) {
	t.Helper()
	for _, ft := range file.Tables {
		if isEmpty(&rules.Ruleset{Tables: []*rules.Table{ft}}) {
			continue
		}
		var lt *rules.Table
		for _, x := range live.Tables {
			if x.Family == ft.Family && x.Name == ft.Name && x.Backend == b && x.Source == "live" {
				lt = x
			}
		}
		if lt == nil {
			t.Errorf("%s table %s: not read live (live has %d tables, notes %q)", ft.Family, ft.Name, len(live.Tables), live.Notes)
			continue
		}
		for _, fc := range ft.Chains {
			lc := lt.Chain(fc.Name)
			if lc == nil {
				t.Errorf("%s %s: no live chain", ft.Name, fc.Name)
				continue
			}
			if lc.Hook != fc.Hook || lc.Priority != fc.Priority || lc.Policy.Kind != fc.Policy.Kind {
				t.Errorf("%s %s: live %s/%d/%v, file %s/%d/%v", ft.Name, fc.Name, lc.Hook, lc.Priority, lc.Policy, fc.Hook, fc.Priority, fc.Policy)
			}
			got, want := describeChain(lc), describeChain(fc)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s:\nlive\n  %s\nfile\n  %s", ft.Name, fc.Name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		}
	}
}

// describeChain describes a chain's rules with each rule's matches in a
// fixed order: iptables -S prints -p before -d, a hand-written file need
// not.
func describeChain(c *rules.Chain) []string {
	var out []string
	for _, r := range c.Rules {
		sorted := *r
		sorted.Matches = slices.SortedFunc(slices.Values(r.Matches), func(a, b rules.Match) int {
			return strings.Compare(describe(a), describe(b))
		})
		out = append(out, fmt.Sprintf("#%d %s", r.Origin.Position, describeRule(&sorted)))
	}
	return out
}

func TestReadLiveBothBackends(t *testing.T) {
	scratchNetns(t, testNetns,
		[2]string{"iptables-nft-restore", filepath.Join(testdataDir, "ufw-like.v4")},
		[2]string{"iptables-legacy-restore", filepath.Join(testdataDir, "docker-published.v4")},
		[2]string{"ip6tables-legacy-restore", filepath.Join(testdataDir, "ipv6-basic.v6")})
	rs := readLiveIn(t, testNetns)
	want := "both iptables backends hold rules, and the kernel runs both: iptables-nft (ipv4 filter) and iptables-legacy (ipv4 nat, ipv4 filter, ipv6 filter)"
	if !slices.Contains(rs.Notes, want) {
		t.Errorf("notes %q", rs.Notes)
	}
	if n := len(rs.Tables); n != 4 {
		t.Errorf("%d tables", n)
	}
}

// TestReadLiveIncompatible: native nftables rules in an iptables-nft
// table make iptables refuse to list it; that is a note, never an empty
// table.
func TestReadLiveIncompatible(t *testing.T) {
	scratchNetns(t, testNetns, [2]string{"iptables-nft-restore", filepath.Join(testdataDir, "nat-redirect.v4")})
	nft := func(args ...string) {
		if out, err := exec.Command("ip", append([]string{"netns", "exec", testNetns, "nft"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("nft %q: %v %s", args, err, out)
		}
	}
	nft("add", "rule", "ip", "filter", "INPUT", "meta", "l4proto", "tcp", "limit", "rate", "5/second", "reject", "with", "tcp", "reset")
	nft("add", "chain", "ip", "nat", "extra", "{ type nat hook prerouting priority 10; }")
	rs := readLiveIn(t, testNetns)
	wantNotes := []string{
		"live iptables-nft ipv4: base chains of table nat " + ErrIncompatible.Error(),
		"live iptables-nft ipv4 table filter: " + ErrIncompatible.Error(),
	}
	for _, n := range wantNotes {
		if !slices.Contains(rs.Notes, n) {
			t.Errorf("no note %q in %q", n, rs.Notes)
		}
	}
	if rs.Table(rules.FamilyIPv4, "filter") != nil {
		t.Error("incompatible table read")
	}
	if rs.Table(rules.FamilyIPv4, "nat") == nil || rs.Table(rules.FamilyIPv4, "mangle") == nil {
		t.Error("compatible tables not read")
	}
}

// TestReadLiveNotRoot runs ReadLive as nobody, in a copy of the test
// binary started with setpriv: it must fail with ErrPermission, in one
// line.
func TestReadLiveNotRoot(t *testing.T) {
	if os.Getenv("PERIM_IPT_AS_NOBODY") != "" {
		_, err := ReadLive(context.Background())
		if !errors.Is(err, ErrPermission) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("as nobody: %q, want ErrPermission in one line", err)
		}
		t.Logf("as nobody: %v", err)
		return
	}
	if _, err := exec.LookPath("setpriv"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and setpriv")
	}
	dir, err := os.MkdirTemp("", "perim-ipt-nobody")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ipt.test")
	data, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(bin, data, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-test.run=^TestReadLiveNotRoot$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PERIM_IPT_AS_NOBODY=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestPermissionMessage runs the tools as nobody and checks that what
// they print is classified as ErrPermission.
func TestPermissionMessage(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("no setpriv")
	}
	for _, tool := range []string{"iptables-nft", "iptables-legacy"} {
		out, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", tool, "-t", "filter", "-S", "-4").CombinedOutput()
		if err == nil {
			t.Skipf("%s listed as nobody", tool)
		}
		if cond := classify(fmt.Errorf("%v: %s", err, out)); !errors.Is(cond, ErrPermission) {
			t.Errorf("%s as nobody: %q not classified as ErrPermission", tool, out)
		}
	}
}
