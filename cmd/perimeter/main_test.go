package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const testdata = "../../testdata"

// fileArgs reads the ufw-like rulesets with every address fixed, so the
// output does not depend on the machine.
var fileArgs = []string{
	"--iptables-save", testdata + "/iptables/ufw-like.v4",
	"--ip6tables-save", testdata + "/iptables/ufw-like.v6",
	"--in-interface", "eth0",
	"--destination", "198.18.0.1", "--destination", "2001:db8::1",
	"--source", "203.0.113.9", "--source", "2001:db8:ffff::9",
}

func TestRulesGolden(t *testing.T) {
	cases := map[string][]string{
		"rules-ufw-like.txt":        {"rules"},
		"rules-ufw-like.json":       {"rules", "--output", "json"},
		"rules-explain-tcp-22.txt":  {"rules", "--explain", "tcp/22"},
		"rules-ufw-like-udp-v6.txt": {"rules", "--family", "ipv6", "--protocol", "udp"},
	}
	for golden, args := range cases {
		t.Run(golden, func(t *testing.T) {
			stdout, stderr, code := runCLI(append(args, fileArgs...)...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			compareGolden(t, golden, stdout)
		})
	}
}

func TestExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.v4")
	if err := os.WriteFile(bad, []byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dprot 22 -j ACCEPT\nCOMMIT\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"rules", "--iptables-save", bad}, exitUsage, `perimeter: parse ` + bad + `:3: unknown option "--dprot": "-A INPUT -p tcp --dprot 22 -j ACCEPT"`},
		{[]string{"rules", "--iptables-save", "/nonexistent/rules.v4"}, exitUsage, "perimeter: open /nonexistent/rules.v4: no such file"},
		{[]string{"rules", "--output", "yaml"}, exitUsage, `perimeter: --output "yaml": want table or json`},
		{[]string{"rules", "--explain", "tcp:22"}, exitUsage, `perimeter: --explain "tcp:22": want PROTO/PORT with PROTO tcp or udp, e.g. tcp/22`},
		{[]string{"rules", "--explain", "tcp/99999"}, exitUsage, `perimeter: --explain "tcp/99999": port "99999" is not a number from 0 to 65535`},
		{[]string{"rules", "--explain", "tcp/22", "-o", "json"}, exitUsage, `perimeter: --explain prints a packet's path as text: drop --output json`},
		{[]string{"rules", "--source-port", "70000"}, exitUsage, `perimeter: --source-port "70000": want a port from 1 to 65535`},
		{[]string{"probe", "198.18.0.1", "--source-port", "70000"}, exitUsage, `perimeter: --source-port "70000": want a port from 1 to 65535`},
		{[]string{"rules", "--source", "198.18.0.7", "--source", "198.18.0.8"}, exitUsage, `perimeter: --source given twice for ipv4 (198.18.0.7 and 198.18.0.8): give one per family`},
		{[]string{"audit", "--fail-on", "severe"}, exitUsage, `perimeter: --fail-on: severity "severe": want info, low, medium, high or critical`},
		{[]string{"audit", "--probe-results", "/nonexistent/remote.json"}, exitUsage, `perimeter: --probe-results "/nonexistent/remote.json": no such file`},
		{[]string{"rules", "--bogus"}, exitUsage, "perimeter: unknown flag: --bogus"},
		{[]string{"rules", "--ipset", "x"}, exitUsage, "perimeter: --ipset goes with rule files: the live read lists the host's ipsets itself"},
		{[]string{"version", "extra"}, exitUsage, `perimeter: accepts 0 arg(s), received 1`},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(c.args...)
		if code != c.code || strings.TrimSpace(stderr) != c.stderr || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d, stderr %q and no output", c.args, code, stderr, stdout, c.code, c.stderr)
		}
	}
}

// TestFamiliesTheInputsDescribe: an IPv4 file says nothing of IPv6, so
// IPv6 is not predicted, and the note says why.
func TestFamiliesTheInputsDescribe(t *testing.T) {
	stdout, stderr, code := runCLI("rules", "--iptables-save", testdata+"/iptables/webserver.v4", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, `"family": "ipv6"`) || !strings.Contains(stdout, "ipv6 not predicted: the rules read describe ipv4 only") {
		t.Errorf("want ipv4 predictions only, with a note:\n%s", stdout)
	}
}

func TestVersion(t *testing.T) {
	stdout, _, code := runCLI("version")
	if code != exitOK || !strings.HasPrefix(stdout, "perimeter ") {
		t.Errorf("exit %d, output %q", code, stdout)
	}
}

func runCLI(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata, "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/perimeter -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is right, run go test ./cmd/perimeter -update):\n%s", path, got)
	}
}

// TestExitCodeOfOtherErrors: an error that is neither bad input nor an
// unreadable host has its own code, and findings at --fail-on theirs.
func TestExitCodeOfOtherErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
	}{
		{errors.New("write output: broken pipe"), exitInternal},
		{findingsError{}, exitFindings},
		{usageError{errors.New("x")}, exitUsage},
		{hostError{errors.New("x")}, exitHost},
		{errInterrupted, exitInterrupted},
	} {
		if got := exitCode(c.err); got != c.code {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.code)
		}
	}
}
