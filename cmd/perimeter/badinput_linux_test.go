package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// TestBadInputsAsRoot: the rows of issue 10's table that need root or a
// network namespace of their own: an empty nft text, a namespace with no
// address, a subnet's broadcast address, a resolver that cannot be
// reached, and a file root may read but the user may not.
func TestBadInputsAsRoot(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	emptyNft := filepath.Join(dir, "empty.nft")
	rules := filepath.Join(dir, "rules.v4")
	for path, text := range map[string]string{emptyNft: "", rules: "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ns := scratchNetns(t, "ip link add d0 type veth peer name d1", "ip addr add 198.18.30.1/24 dev d0", "ip link set d0 up")
	nobody := labtest.ExecutableForNobody(t)
	cases := []struct {
		name string
		cmd  []string // a command line around the test binary, which stands in for perimeter
		args []string
		code int
		msg  string
		note string
	}{
		{"empty nft", nil, []string{"rules", "--nft", emptyNft}, exitOK, "", emptyNft + ": no rules read (the input holds no table)"},
		{"empty nft strict", nil, []string{"rules", "--strict", "--nft", emptyNft}, exitUsage, "perimeter: " + emptyNft + ": no rules read (the input holds no table; --strict)", ""},
		{"no address", []string{"unshare", "--net", "--", "BIN"}, []string{"rules"}, exitOK, "", "ipv4 skipped: no interface has an IPv4 address"},
		{"no address strict", []string{"unshare", "--net", "--", "BIN"}, []string{"rules", "--strict"}, exitUsage,
			"perimeter: nothing to predict (--strict): ipv4 skipped: no interface has an IPv4 address (give --in-interface and --destination); ipv6 skipped: no interface has an IPv6 address (give --in-interface and --destination)", ""},
		{"audit no address strict", []string{"unshare", "--net", "--", "BIN"}, []string{"audit", "--strict", "--no-probe"}, exitUsage,
			"perimeter: nothing to predict (--strict): ipv4 skipped: no interface has an IPv4 address (give --in-interface and --destination); ipv6 skipped: no interface has an IPv6 address (give --in-interface and --destination)", ""},
		{"subnet broadcast", []string{"ip", "netns", "exec", ns, "BIN"}, []string{"probe", "198.18.30.255"}, exitUsage,
			`perimeter: target "198.18.30.255": the broadcast address of 198.18.30.0/24 on d0 reaches every host there: probes go to one`, ""},
		{"resolver unreachable", []string{"unshare", "--net", "--", "BIN"}, []string{"probe", "perimeter-test.invalid"}, exitHost,
			`perimeter: target "perimeter-test.invalid": not an address, and the resolver could not be asked about the name (...`, ""},
		{"unreadable file", []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", nobody}, []string{"rules", "--iptables-save", rules}, exitUsage,
			"perimeter: open " + rules + ": permission denied", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code, took := runBinary(t, c.cmd, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %.300q)", code, c.code, stderr)
			}
			if took > time.Second {
				t.Errorf("took %v, want at most 1s", took.Round(time.Millisecond))
			}
			checkOneLine(t, stderr)
			msg := strings.TrimSuffix(stderr, "\n")
			if want, prefix := strings.CutSuffix(c.msg, "..."); prefix && !strings.HasPrefix(msg, want) || !prefix && msg != want {
				t.Errorf("stderr\n  %s\nwant\n  %s", msg, c.msg)
			}
			if c.note != "" && !strings.Contains(strings.Join(strings.Fields(stdout), " "), c.note) {
				t.Errorf("no note %q in:\n%s", c.note, stdout)
			}
		})
	}
}

// binaryCmd is the command line wrap (BIN: this test binary, standing in
// for perimeter; nil: BIN alone) with args after it, writing to the
// buffers it returns.
func binaryCmd(wrap []string, args ...string) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer) {
	if wrap == nil {
		wrap = []string{"BIN"}
	}
	var argv []string
	for _, a := range wrap {
		argv = append(argv, strings.ReplaceAll(a, "BIN", os.Args[0]))
	}
	argv = append(argv, args...)
	cmd = exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PERIMETER_TEST_MAIN=1", "COLUMNS=100")
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd, stdout, stderr
}

// runBinary runs the command line wrap (BIN: this test binary, standing
// in for perimeter; nil: BIN alone) with args after it.
func runBinary(t testing.TB, wrap []string, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	cmd, out, errOut := binaryCmd(wrap, args...)
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code, took
}

// scratchNetns makes a network namespace for one test, runs each ip(8)
// command line in it, and removes it when the test ends.
func scratchNetns(t *testing.T, cmds ...string) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	ns := "perim-t10-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	for _, c := range cmds {
		f := strings.Fields(c)
		args := append([]string{"-n", ns}, f[1:]...)
		if out, err := exec.Command(f[0], args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", c, err, out)
		}
	}
	return ns
}
