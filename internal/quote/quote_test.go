package quote

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func TestQ(t *testing.T) {
	long := strings.Repeat("a", 60<<10)
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"tcp", `"tcp"`},
		{"a\x1b[31mred", `"a\x1b[31mred"`},
		{"bell\a", `"bell\a"`},
		{"nul\x00", `"nul\x00"`},
		{"bad\xff", `"bad\xff"`},
		{"tab\tnl\n", `"tab\tnl\n"`},
		{"é", `"é"`},
		{long, `"` + strings.Repeat("a", Max-2) + `"...`},
		{strings.Repeat("\x00", 100), `"` + strings.Repeat(`\x00`, (Max-2)/4) + `"...`},
	}
	for _, tt := range tests {
		if got := Q(tt.in); got != tt.want {
			t.Errorf("Q(%.40q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestQBounded: whatever the input, the quotation is one printable line
// no longer than Max plus the cut mark, and a short input is quoted whole.
func TestQBounded(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("\xff", 1000), strings.Repeat("日本", 500), strings.Repeat("\u2028", 300),
		strings.Repeat("x\x1b\a\x00\n", 2000), "short\x7f",
	} {
		got := Q(in)
		if len(got) > Max+3 {
			t.Errorf("Q(%.20q...) is %d bytes long", in, len(got))
		}
		for _, r := range got {
			if !unicode.IsPrint(r) {
				t.Errorf("Q(%.20q...) holds %U", in, r)
			}
		}
		if len(strconv.Quote(in)) <= Max && got != strconv.Quote(in) {
			t.Errorf("Q(%q) = %s, want strconv.Quote's", in, got)
		}
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`json: cannot unmarshal "x" into int`, `json: cannot unmarshal "x" into int`},
		{"a\x1bb\nc\x00", `a\x1bb\nc\x00`},
		{"bad\xff utf-8", `bad\xff utf-8`},
		{"number " + strings.Repeat("9", 60<<10), "number " + strings.Repeat("9", Max-1-len("number ")) + "..."},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%.40q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestError(t *testing.T) {
	inner := errors.New("bad\x07 value")
	err := Error(inner)
	if err.Error() != `bad\a value` || !errors.Is(err, inner) {
		t.Errorf("Error(%q) = %q, Is %v", inner, err, errors.Is(err, inner))
	}
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}

func TestMessage(t *testing.T) {
	long := "parse f:1: bad: " + strings.Repeat("x", 10<<10)
	if got := Message(long); len(got) > MaxMessage+3 || !strings.HasSuffix(got, "...") {
		t.Errorf("Message(long) is %d bytes: %.40s...", len(got), got)
	}
	if got := Message("open a\nb: \x1b[2J"); got != `open a\nb: \x1b[2J` {
		t.Errorf("Message = %s", got)
	}
}
