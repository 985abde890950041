package quote

import (
	"strconv"
	"unicode/utf8"
)

// Max bounds the text Q and Line write, quotes included.
const Max = 200

// Q is s as strconv.Quote writes it, cut after about Max characters of
// quoted text; a cut string is followed by "..." after its closing quote.
func Q(s string) string {
	b, cut := appendBounded([]byte{'"'}, s, true)
	b = append(b, '"')
	if cut {
		b = append(b, "..."...)
	}
	return string(b)
}

// Line is a message of another package that holds input (encoding/json's
// holds whole number literals) made one printable line: what strconv.Quote
// would escape escaped, quotes and backslashes left alone, and cut after
// about Max characters with "...".
func Line(s string) string {
	b, cut := appendBounded(nil, s, false)
	if cut {
		b = append(b, "..."...)
	}
	return string(b)
}

// appendBounded appends s to b rune by rune, escaped as strconv.Quote
// escapes it (all of it when quoting, else only what is not printable),
// and stops before b would grow past Max-1, reporting the cut.
func appendBounded(b []byte, s string, quoting bool) ([]byte, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		if quoting || r == utf8.RuneError || !strconv.IsPrint(r) {
			q := strconv.Quote(piece)
			piece = q[1 : len(q)-1]
		}
		if len(b)+len(piece)+1 > Max {
			return b, true
		}
		b = append(b, piece...)
		i += size
	}
	return b, false
}

// Error is err with its message made a Line; errors.Is and errors.As see
// err.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return lineError{err}
}

type lineError struct{ err error }

func (e lineError) Error() string { return Line(e.err.Error()) }
func (e lineError) Unwrap() error { return e.err }
