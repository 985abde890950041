//go:build linux

package nft

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode"
)

// TestReadTextErrorQuoted: nft's complaint about a text quotes the bad
// line; perimeter's error carries it as one short printable line.
func TestReadTextErrorQuoted(t *testing.T) {
	needRoot(t)
	for name, text := range map[string]string{
		"ESC and BEL": "table ip t {\n\tchain c {\n\t\tfoo \x1b[31mbar\a\n\t}\n}\n",
		"NUL":         "table ip t {\n\tchain c \x00 {\n\t}\n}\n",
		"60 KB line":  "table ip t {\n\tchain c {\n\t\t" + strings.Repeat("\x1b[2J ", 10<<10) + "\n\t}\n}\n",
	} {
		_, err := ReadText(context.Background(), bytes.NewReader([]byte(text)), Options{})
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "load nft text: nft -f: ") || len(msg) > 400 ||
			strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) {
			t.Errorf("%s: not one short printable line from nft: %d bytes: %.300q", name, len(msg), msg)
		}
	}
}
