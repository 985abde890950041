package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
)

// badInput is one bad input or flag: the exit code, and the message (the
// whole line after "perimeter: ", or with a trailing "..." its start).
// Rows that succeed name a note the output must hold instead.
type badInputCase struct {
	name string
	args []string
	code int
	msg  string // stderr; "" when the command succeeds
	note string // a note the output must hold
}

// TestBadInputs is the table of every error message a user can meet
// reading files and flags (issue 10's cases without root; the ones that
// need root are in badinput_linux_test.go): each ends within a second in
// its documented exit code, with one printable line of at most
// quote.MaxMessage characters and no other output.
func TestBadInputs(t *testing.T) {
	for _, c := range badInputCases(t) {
		t.Run(c.name, func(t *testing.T) { checkBadInput(t, c) })
	}
}

func badInputCases(t *testing.T) []badInputCase {
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v4 := func(rule string) string { return "*filter\n:INPUT DROP [0:0]\n" + rule + "\nCOMMIT\n" }
	empty := file("empty.v4", "")
	emptyJSON := file("empty.json", "")
	noTable := file("no-table.json", `{"nftables":[{"metainfo":{"json_schema_version":1}}]}`)
	esc := file("esc.v4", v4("-A INPUT -p tcp --dprot 22 \x1b[2J\a\x00 -j ACCEPT"))
	long := file("long.v4", v4("-A INPUT -p tcp --dprot 22 "+strings.Repeat("x", 60<<10)))
	mb := file("mb.v4", v4(`-A INPUT -p tcp --dport 22 -m comment --comment "`+strings.Repeat("c", 1_000_000)+`" -j ACCEPT`))
	huge := file("huge.v4", v4("# "+strings.Repeat("x", 2<<20)))
	port := file("port.v4", v4("-A INPUT -p tcp --dport 99999 -j ACCEPT"))
	sets := file("sets.ipsets", "create other hash:ip family inet\nadd other 198.18.0.9\n")
	f2b := testdata + "/iptables/fail2ban.v4"
	nft := func(name, right string) string {
		return file(name, `{"nftables":[{"table":{"family":"inet","name":"f"}},
{"chain":{"family":"inet","table":"f","name":"input","handle":1,"type":"filter","hook":"input","prio":0,"policy":"drop"}},
{"rule":{"family":"inet","table":"f","chain":"input","handle":4,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":`+right+`}},{"accept":null}]}}]}`)
	}
	const dport = `perimeter: %s: parse json: object 3: rule 4 in inet "f" "input": tcp dport `
	jsonPort := func(name, right, msg string) badInputCase {
		p := nft(name+".json", right)
		return badInputCase{"nft json port " + name, []string{"rules", "--nft-json", p}, exitUsage, strings.Replace(dport, "%s", p, 1) + msg, ""}
	}
	shape := func(name, doc, msg string) badInputCase {
		p := file(name+".json", doc)
		return badInputCase{"json shape " + name, []string{"rules", "--nft-json", p}, exitUsage, "perimeter: " + p + ": parse json: " + msg, ""}
	}
	cases := []badInputCase{
		// empty inputs: a note, or with --strict exit 2
		{"empty v4", []string{"rules", "--iptables-save", empty}, exitOK, "", empty + ": no rules read (the input holds no table): predicted as a host without a firewall"},
		{"empty v4 strict", []string{"rules", "--strict", "--iptables-save", empty}, exitUsage, "perimeter: " + empty + ": no rules read (the input holds no table; --strict)", ""},
		{"empty json", []string{"rules", "--nft-json", emptyJSON}, exitOK, "", emptyJSON + ": no rules read"},
		{"json without a table strict", []string{"rules", "--strict", "--nft-json", noTable}, exitUsage, "perimeter: " + noTable + ": no rules read (the input holds no table; --strict)", ""},
		// quoted input: escaped, cut
		{"escape bytes", []string{"rules", "--iptables-save", esc}, exitUsage, `perimeter: parse ` + esc + `:3: unknown option "--dprot": "-A INPUT -p tcp --dprot 22 \x1b[2J\a\x00 -j ACCEPT"`, ""},
		{"60 KB line", []string{"rules", "--iptables-save", long}, exitUsage, `perimeter: parse ` + long + `:3: unknown option "--dprot": "-A INPUT -p tcp --dprot 22 xxxxx...`, ""},
		{"1 MB line", []string{"rules", "--iptables-save", mb, "--output", "json"}, exitOK, "", ""},
		{"line over the bound", []string{"rules", "--iptables-save", huge}, exitUsage, "perimeter: parse " + huge + ":3: line longer than 1 MiB, the most perimeter reads in one line (is this an iptables-save or ipset save text?)", ""},
		{"iptables port", []string{"rules", "--iptables-save", port}, exitUsage, `perimeter: parse ` + port + `:3: tcp: bad port "99999" (want a number from 0 to 65535 or a service name): "-A INPUT -p tcp --dport 99999 -j ACCEPT"`, ""},
		// nft JSON: ports checked, shapes named in JSON's words
		jsonPort("70000", "70000", "70000: not a port (want a whole number from 0 to 65535)"),
		jsonPort("-1", "-1", "-1: not a port (want a whole number from 0 to 65535)"),
		jsonPort("22.5", "22.5", "22.5: not a port (want a whole number from 0 to 65535)"),
		jsonPort("words", `"twenty-two"`, `"twenty-two": not a port (want a whole number from 0 to 65535 or a service name)`),
		jsonPort("1e30", "1e30", "1e30: not a port (want a whole number from 0 to 65535)"),
		shape("prefix length", `{"nftables":[{"table":{"family":"ip","name":"t"}},{"chain":{"family":"ip","table":"t","name":"c"}},
{"rule":{"family":"ip","table":"t","chain":"c","handle":2,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":{"prefix":{"addr":"10.0.0.0","len":99}}}}]}}]}`,
			`object 3: rule 2 in ip "t" "c": ip saddr 10.0.0.0/99: not a prefix (want a length from 0 to 32)`),
		shape("number", `{"nftables":5}`, `"nftables" is a number, want an array of objects`),
		shape("array", `[1,2,3]`, `the document is an array, want an object {"nftables": [...]} as nft -j list ruleset prints`),
		shape("object a string", `{"nftables":["x"]}`, `object 1 of "nftables" is a string, want an object`),
		shape("family a number", `{"nftables":[{"table":{"family":5,"name":"t"}}]}`, `object 1: "family" is a number, want a string`),
		shape("cut", `{"nftables":[`, `line 1: the JSON ends too soon`),
		shape("no nftables", `{"tables":[]}`, `no "nftables" array: is this the output of nft -j list ruleset?`),
		// files
		{"missing file", []string{"rules", "--iptables-save", "/nonexistent/r.v4"}, exitUsage, "perimeter: open /nonexistent/r.v4: no such file", ""},
		{"ipset names other sets", []string{"rules", "--iptables-save", f2b, "--ipset", sets}, exitOK, "", "ipset f2b-nginx: contents unknown: not among the sets of the --ipset files (other)"},
		{"no ipset file", []string{"rules", "--iptables-save", f2b}, exitOK, "", "ipset f2b-nginx: contents unknown (pass --ipset FILE)"},
		// flags
		{"max-rate NaN", []string{"probe", "198.18.0.1", "--max-rate", "NaN"}, exitUsage, "perimeter: --max-rate NaN: want a number of packets a second above 0 (or 0, the default: as fast as replies keep up)", ""},
		{"max-rate -5", []string{"probe", "198.18.0.1", "--max-rate", "-5"}, exitUsage, "perimeter: --max-rate -5: want a number of packets a second above 0 (or 0, the default: as fast as replies keep up)", ""},
		{"max-rate Inf", []string{"probe", "198.18.0.1", "--max-rate", "+Inf"}, exitUsage, "perimeter: --max-rate +Inf: want a number of packets a second above 0 (or 0, the default: as fast as replies keep up)", ""},
		{"rate-limit-wait negative", []string{"probe", "198.18.0.1", "--rate-limit-wait", "-1s"}, exitUsage, "perimeter: --rate-limit-wait -1s: want a duration of 0s or more", ""},
		{"audit rate-limit-wait negative", []string{"audit", "--rate-limit-wait", "-1s"}, exitUsage, "perimeter: --rate-limit-wait -1s: want a duration of 0s or more", ""},
		{"probe ports", []string{"probe", "198.18.0.1", "--ports", "70000"}, exitUsage, `perimeter: --ports "70000": "70000" is no port (1-65535)`, ""},
		{"source with escapes", []string{"rules", "--source", "a\x1bb"}, exitUsage, `perimeter: --source "a\x1bb": not an IP address`, ""},
		{"probe source", []string{"probe", "198.18.0.1", "--source", "198.18.0.2,nope"}, exitUsage, `perimeter: --source "nope": not an IP address`, ""},
		{"probe source twice", []string{"probe", "198.18.0.1", "--source", "198.18.0.2", "--source", "198.18.0.2"}, exitUsage, `perimeter: probe: bad target: source 198.18.0.2 given twice`, ""},
		{"probe source of another family", []string{"probe", "198.18.0.1", "--source", "198.18.0.2,2001:db8::2"}, exitUsage, `perimeter: probe: bad target: source 2001:db8::2 and target 198.18.0.1 differ in family`, ""},
		{"probe-results of the wrong shape", []string{"audit", "--no-probe", "--probe-results", file("remote.json", `{"schema":5}`)}, exitUsage,
			`perimeter: --probe-results "` + dir + `/remote.json": decode probe report: "schema" is a number, want a string`, ""},
		{"probe-results missing", []string{"audit", "--probe-results", "/nonexistent/remote.json"}, exitUsage, `perimeter: --probe-results "/nonexistent/remote.json": no such file`, ""},
		// probe targets
		{"link-local without zone", []string{"probe", "fe80::1"}, exitUsage, `perimeter: target "fe80::1": perimeter does not probe link-local addresses (they need a zone, such as %eth0): give one of the host's global addresses`, ""},
		{"link-local with zone", []string{"probe", "fe80::1%lo"}, exitUsage, `perimeter: target "fe80::1%lo": perimeter does not probe link-local addresses...`, ""},
		{"unspecified v4", []string{"probe", "0.0.0.0"}, exitUsage, `perimeter: target "0.0.0.0": the unspecified address names no host: give the address of the host to probe`, ""},
		{"unspecified v6", []string{"probe", "::"}, exitUsage, `perimeter: target "::": the unspecified address names no host: give the address of the host to probe`, ""},
		{"multicast", []string{"probe", "224.0.0.1"}, exitUsage, `perimeter: target "224.0.0.1": a multicast or broadcast address reaches many hosts: probes go to one`, ""},
		{"broadcast", []string{"probe", "255.255.255.255"}, exitUsage, `perimeter: target "255.255.255.255": a multicast or broadcast address reaches many hosts: probes go to one`, ""},
		// listeners
		{"netns not a namespace", []string{"listeners", "--netns", "/etc/passwd"}, exitUsage, "perimeter: --netns \"/etc/passwd\": not a network namespace (give a name from `ip netns` or a path such as /proc/PID/ns/net)", ""},
		{"netns missing", []string{"listeners", "--netns", "/nonexistent/ns"}, exitUsage, `perimeter: --netns "/nonexistent/ns": no such network namespace`, ""},
	}
	if os.Geteuid() != 0 {
		unreadable := file("unreadable.v4", v4(""))
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, badInputCase{"unreadable file", []string{"rules", "--iptables-save", unreadable}, exitUsage, "perimeter: open " + unreadable + ": permission denied", ""})
	}
	return cases
}

func checkBadInput(t *testing.T, c badInputCase) {
	t.Helper()
	start := time.Now()
	stdout, stderr, code := runCLI(c.args...)
	took := time.Since(start)
	msg := strings.TrimSuffix(stderr, "\n")
	if code != c.code {
		t.Errorf("exit %d, want %d (stderr %.300q)", code, c.code, stderr)
	}
	if took > time.Second {
		t.Errorf("took %v, want at most 1s", took.Round(time.Millisecond))
	}
	checkOneLine(t, stderr)
	want, prefix := strings.CutSuffix(c.msg, "...")
	switch {
	case prefix && !strings.HasPrefix(msg, want):
		t.Errorf("stderr\n  %.400s\nwant it to start\n  %s", msg, want)
	case !prefix && msg != want:
		t.Errorf("stderr\n  %.400s\nwant\n  %s", msg, want)
	}
	if c.code != exitOK && stdout != "" {
		t.Errorf("output beside the error: %.200q", stdout)
	}
	// notes are wrapped to the table's width
	if c.note != "" && !strings.Contains(strings.Join(strings.Fields(stdout), " "), c.note) {
		t.Errorf("no note %q in the output:\n%.2000s", c.note, stdout)
	}
}

// checkOneLine: stderr is empty or one printable line of bounded length.
func checkOneLine(t *testing.T, stderr string) {
	t.Helper()
	if stderr == "" {
		return
	}
	line, ok := strings.CutSuffix(stderr, "\n")
	if !ok || strings.Contains(line, "\n") || len(line) > len("perimeter: ")+600+3 {
		t.Errorf("stderr is not one line of at most ~600 characters: %d bytes: %.300q", len(stderr), stderr)
	}
	if strings.ContainsFunc(line, func(r rune) bool { return !unicode.IsPrint(r) }) {
		t.Errorf("stderr holds unprintable characters: %.300q", line)
	}
	for _, goism := range []string{"Go struct", "Go value", "json: cannot", "strconv.", "bufio.Scanner", "[]map[", "context canceled"} {
		if strings.Contains(line, goism) {
			t.Errorf("stderr speaks Go (%q): %.300q", goism, line)
		}
	}
}

// TestLookupError: a name no host has is bad input; a resolver that
// cannot be asked is the host's problem, and said so.
func TestLookupError(t *testing.T) {
	ctx := t.Context()
	cases := []struct {
		err  error
		code int
		msg  string
	}{
		{&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, exitUsage, `target "x.invalid": not an address, and no host has that name`},
		{&net.DNSError{Err: "dial udp 198.18.0.53:53: connect: network is unreachable", Name: "x.invalid"}, exitHost,
			`target "x.invalid": not an address, and the resolver could not be asked about the name (dial udp 198.18.0.53:53: connect: network is unreachable): check /etc/resolv.conf and the network, or give an address`},
		{&net.DNSError{Err: "i/o timeout", Name: "x.invalid", IsTimeout: true}, exitHost,
			`target "x.invalid": not an address, and the resolver could not be asked about the name (i/o timeout): check /etc/resolv.conf and the network, or give an address`},
	}
	for _, c := range cases {
		err := lookupError(ctx, "x.invalid", c.err)
		if exitCode(err) != c.code || err.Error() != c.msg {
			t.Errorf("%v: exit %d %q, want exit %d %q", c.err, exitCode(err), err, c.code, c.msg)
		}
	}
}
