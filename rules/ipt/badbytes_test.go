package ipt

import (
	"strings"
	"testing"
	"unicode"

	"github.com/perimeter-dev/perimeter/rules"
)

// maxErrorLen bounds a parse error: a location, a short reason, a few
// quoted pieces of input of at most 200 characters each, and the line.
const maxErrorLen = 1000

// TestErrorsQuoteBadBytes: whatever bytes a bad line holds (terminal
// escapes, BEL, NUL, invalid UTF-8, 60 KB of it), its error is one
// printable line, short.
func TestErrorsQuoteBadBytes(t *testing.T) {
	huge := strings.Repeat("\x1b[2J\a", 12<<10) // 60 KB
	cases := []struct {
		name, in string
		want     string // a part of the message
	}{
		{"ESC in an option", "*filter\n-A INPUT --fo\x1b[31mo 1 -j ACCEPT\nCOMMIT\n", `unknown option "--fo\x1b[31mo"`},
		{"BEL in a port", "*filter\n-A INPUT -p tcp --dport 2\a2 -j ACCEPT\nCOMMIT\n", `bad port "2\a2"`},
		{"NUL in a chain name", "*filter\n-A IN\x00PUT -j ACCEPT\nCOMMIT\n", `no chain "IN\x00PUT"`},
		{"NUL in a jump", "*filter\n-A INPUT -j no\x00where\nCOMMIT\n", `jump to undefined chain "no\x00where"`},
		{"invalid UTF-8 in an address", "*filter\n-A INPUT -s 198.18.\xff.1 -j ACCEPT\nCOMMIT\n", `bad address "198.18.\xff.1"`},
		{"ESC in a table name", "*fil\x1bter\nCOMMIT\n", `unknown table "fil\x1bter"`},
		{"ESC in a loop", "*filter\n:\x1b - [0:0]\n-A INPUT -j \x1b\n-A \x1b -j \x1b\nCOMMIT\n", `chain loop "\x1b" -> "\x1b"`},
		{"60 KB protocol", "*filter\n-A INPUT -p " + huge + " -j ACCEPT\nCOMMIT\n", `unknown protocol "\x1b[2J\a`},
		{"60 KB option", "*filter\n-A INPUT --" + huge + " -j ACCEPT\nCOMMIT\n", `unknown option "--\x1b[2J\a`},
		{"60 KB line outside a table", huge + "\n", "not in a table"},
		{"60 KB reject type", "*filter\n-A INPUT -j REJECT --reject-with " + huge + "\nCOMMIT\n", `unknown reject type "\x1b`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.in), Options{Family: rules.FamilyIPv4, Source: "f"})
			if err == nil {
				t.Fatal("accepted")
			}
			checkMessage(t, err.Error(), c.want)
		})
	}
}

func TestIPSetErrorsQuoteBadBytes(t *testing.T) {
	huge := strings.Repeat("\x00\a", 30<<10)
	for _, in := range []string{
		"create s\x1b hash:ip\nadd s\x1b 198.18.0.1\nadd t 1\n",
		"create s hash:ip\nadd s " + huge + "\n",
		"frobnicate " + huge + "\n",
	} {
		_, err := ParseIPSets(strings.NewReader(in))
		if err == nil {
			t.Fatalf("%.30q: accepted", in)
		}
		checkMessage(t, err.Error(), "")
	}
}

func checkMessage(t *testing.T, msg, want string) {
	t.Helper()
	if len(msg) > maxErrorLen {
		t.Errorf("message of %d bytes: %.100s...", len(msg), msg)
	}
	for _, r := range msg {
		if !unicode.IsPrint(r) {
			t.Errorf("message holds %U: %.200q", r, msg)
			break
		}
	}
	if !strings.Contains(msg, want) {
		t.Errorf("message %s\nwants %s", msg, want)
	}
}
