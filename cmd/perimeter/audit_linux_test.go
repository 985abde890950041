package main

// The audit end to end: a host namespace loaded with a known ruleset and
// listeners, a Docker-style backend behind it, a remote probe from a peer
// namespace, and `perimeter audit` run inside the host namespace by this
// test binary. The findings must be exactly the expected ones, in the
// table and in the JSON, and both must match their golden files.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
)

// labFindings are the findings the lab host must give, as "id proto
// ports"; both rulesets describe the same host.
var labFindings = []string{
	"backdoor-port tcp 31337",
	"closed-not-stealth tcp 8443",
	"exposed-service tcp 22",
	"exposed-service tcp 5432",
	"exposed-service tcp 9000",
	"family-gap tcp 9000",
	"forward-bypass tcp 8080",
	"source-port-bypass udp 1-65535",
	"stale-allow tcp 8443",
	"unlogged-drop tcp 1024-5431, 5433-8079, 8081-8442, 8444-65535",
	"unlogged-drop tcp 1024-5431, 5433-8442, 8444-65535",
	"unlogged-drop tcp 1024-5431, 5433-8442, 8444-8999, 9001-65535",
	"unlogged-drop udp 1-65535",
}

func auditLab(t *testing.T) *sandbox.Lab {
	lab := labtest.NewTestLab(t, sandbox.Config{Backend: &sandbox.Backend{Iface: "docker0",
		TargetAddrs: []netip.Prefix{netip.MustParsePrefix("198.19.0.1/16")},
		Addrs:       []netip.Prefix{netip.MustParsePrefix("198.19.0.2/16")}}})
	if err := lab.Listen("tcp", []uint16{22, 5432, 9000, 31337}); err != nil {
		t.Fatal(err)
	}
	if err := lab.ListenIn(lab.Backend, "tcp", []uint16{80}); err != nil {
		t.Fatal(err)
	}
	return lab
}

func TestAuditLabIptables(t *testing.T) {
	lab := auditLab(t)
	ctx := context.Background()
	for _, f := range []struct {
		v6   bool
		file string
	}{{false, "lab.v4"}, {true, "lab.v6"}} {
		if err := lab.LoadIPTables(ctx, f.v6, false, false, bytes.NewReader(readTestdata(t, "audit/"+f.file))); err != nil {
			t.Fatal(err)
		}
	}
	checkAudit(t, lab, "audit-lab-iptables")
}

func TestAuditLabNft(t *testing.T) {
	lab := auditLab(t)
	if err := lab.LoadNft(context.Background(), bytes.NewReader(readTestdata(t, "audit/lab.nft"))); err != nil {
		t.Fatal(err)
	}
	checkAudit(t, lab, "audit-lab-nft")
}

// checkAudit probes the lab host from the peer, audits it with those
// results, and checks the findings and the golden files.
func checkAudit(t *testing.T, lab *sandbox.Lab, golden string) {
	remote := filepath.Join(t.TempDir(), "remote.json")
	out, stderr, code := runIn(t, lab, lab.Prober, "probe", lab.TargetAddr(false).String(), "--ports", "all", "--output", "json")
	if code != exitOK {
		t.Fatalf("remote probe: exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(remote, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	table, stderr, code := runIn(t, lab, lab.Target, "audit", "--probe-results", remote)
	if code != exitFindings {
		t.Fatalf("audit: exit %d, want %d: %s\n%s", code, exitFindings, stderr, table)
	}
	js, stderr, code := runIn(t, lab, lab.Target, "audit", "--probe-results", remote, "--output", "json")
	if code != exitFindings {
		t.Fatalf("audit -o json: exit %d, want %d: %s", code, exitFindings, stderr)
	}
	checkFindings(t, table, js)
	compareGolden(t, golden+".txt", normalize(table))
	compareGolden(t, golden+".json", normalize(js))
}

// checkFindings: exactly labFindings, in the JSON and in the table.
func checkFindings(t *testing.T, table, js string) {
	var a report.Audit
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range a.Findings {
		got = append(got, fmt.Sprintf("%s %s %s", f.ID, f.Evidence.Protocol, f.Evidence.Ports))
		if !strings.Contains(table, f.ID+": ") {
			t.Errorf("the table lacks %s", f.ID)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, labFindings) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(labFindings, "\n  "))
	}
	if n := strings.Count(table, "\n         fix: "); n != len(a.Findings) {
		t.Errorf("the table has %d findings, the JSON %d", n, len(a.Findings))
	}
}

// runIn runs this test binary as perimeter in one of the lab's
// namespaces, with a 100-column terminal.
func runIn(t testing.TB, lab *sandbox.Lab, ns string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runInWidth(t, lab, ns, 100, args...)
}

func runInWidth(t testing.TB, lab *sandbox.Lab, ns string, width int, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, os.Args[0]}, args...)...)
	cmd.Env = append(os.Environ(), "PERIMETER_TEST_MAIN=1", fmt.Sprintf("COLUMNS=%d", width))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// normalize blanks what changes from run to run: the host's name and
// kernel, process IDs and paths, how a reset connection failed.
func normalize(s string) string {
	host, _ := os.Hostname()
	for _, r := range []struct{ re, with string }{
		{`perimeter audit of \S+ \(Linux [^)]*\)`, "perimeter audit of HOST (Linux KERNEL)"},
		{`"name": "` + regexp.QuoteMeta(host) + `"`, `"name": "HOST"`},
		{`"kernel": "[^"]*"`, `"kernel": "KERNEL"`},
		{`"pid": \d+`, `"pid": 0`},
		{`"exe": "[^"]*"`, `"exe": "EXE"`},
		// The lab's listeners reset every connection at once: the banner
		// grab sees it on connect or on its first read.
		{`banner: (dial|read): connection reset by peer`, "banner: connection reset by peer"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

// TestAuditFitsTheTerminal: at COLUMNS=80 and 100 no line of the audit is
// wider than the terminal.
func TestAuditFitsTheTerminal(t *testing.T) {
	lab := auditLab(t)
	ctx := context.Background()
	if err := lab.LoadIPTables(ctx, false, false, false, bytes.NewReader(readTestdata(t, "audit/lab.v4"))); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{80, 100} {
		out, stderr, code := runInWidth(t, lab, lab.Target, width, "audit")
		if code != exitFindings {
			t.Fatalf("COLUMNS=%d: exit %d: %s", width, code, stderr)
		}
		for i, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("COLUMNS=%d: line %d is %d wide: %s", width, i+1, n, line)
			}
		}
	}
}

// TestAuditWithoutRoot: as nobody, the audit reads what it can (the
// sockets, a connect() probe), says what it could not read and how to
// fix that, and still finds the listener on 31337.
func TestAuditWithoutRoot(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		skipOrFail(t, "needs setpriv (util-linux)")
	}
	lab := auditLab(t)
	bin := labtest.ExecutableForNobody(t)
	cmd := exec.Command("ip", "netns", "exec", lab.Target, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "audit")
	cmd.Env = append(os.Environ(), "PERIMETER_TEST_MAIN=1", "COLUMNS=100")
	out, err := cmd.Output()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitFindings {
		t.Fatalf("exit %v, want %d: %s\n%s", err, exitFindings, stderrOf(err), out)
	}
	for _, want := range []string{
		"not read:    firewall rules: reading them needs root (CAP_NET_ADMIN); run with sudo",
		"backdoor-port: tcp/31337 is open",
		"tcp connect",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the audit as nobody lacks %q:\n%s", want, out)
		}
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// TestAuditPacesStatedLimits: a range whose RSTs a limit rule holds back
// is paced by the audit's local probe at the rate the rules state, from
// the start: every port of it closed, none unknown or stealth, and the
// notes say so. (The RSTs come back in over lo: only an established
// connection's packets pass the drop policy.)
func TestAuditPacesStatedLimits(t *testing.T) {
	lab := labtest.NewTestLab(t, sandbox.Config{})
	if err := lab.Listen("tcp", []uint16{22}); err != nil {
		t.Fatal(err)
	}
	ruleset := `table inet t {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
		tcp dport 20000-20199 limit rate 50/second burst 5 packets reject with tcp reset
	}
}
`
	if err := lab.LoadNft(context.Background(), strings.NewReader(ruleset)); err != nil {
		t.Fatal(err)
	}
	js, stderr, code := runIn(t, lab, lab.Target, "audit", "--all-ports", "--no-banners", "--output", "json")
	if code != exitFindings {
		t.Fatalf("audit: exit %d: %s", code, stderr)
	}
	var a report.Audit
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		t.Fatal(err)
	}
	closed := map[rules.Family]int{}
	for _, r := range a.Rows {
		for _, p := range r.Probes {
			if p.Vantage == report.VantageLocal && r.Protocol == "tcp" && r.FromPort >= 20000 && r.ToPort <= 20199 {
				closed[p.Family] += p.Counts[probe.Closed]
				if p.Counts[probe.Closed] != p.Ports {
					t.Errorf("row %d-%d: local probe saw %v", r.FromPort, r.ToPort, p.Counts)
				}
			}
		}
	}
	if closed[rules.FamilyIPv4] != 200 || closed[rules.FamilyIPv6] != 200 {
		t.Errorf("ports of 20000-20199 seen closed by family: %v, want 200 in each", closed)
	}
	if notes := strings.Join(a.Notes, "\n"); !strings.Contains(notes, "tcp 20000-20199 answer at a limited rate; probed at 50/s, as the rules limit it") {
		t.Errorf("notes:\n%s", notes)
	}
}
