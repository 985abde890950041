package quote

import (
	"strconv"
	"unicode/utf8"
)

// Max bounds the text Q and Line write, quotes included.
const Max = 200

// MaxMessage bounds a whole message Message writes: room for a path, what
// was wrong and a quotation of Max.
const MaxMessage = 3 * Max

// Q is s as strconv.Quote writes it, cut after about Max characters of
// quoted text; a cut string is followed by "..." after its closing quote.
func Q(s string) string {
	b, cut := appendBounded([]byte{'"'}, s, true, Max)
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
	return bounded(s, Max)
}

// Message is a whole error message made one printable line, as Line
// makes one, cut after about MaxMessage characters: the last guard
// before a terminal.
func Message(s string) string {
	return bounded(s, MaxMessage)
}

func bounded(s string, limit int) string {
	b, cut := appendBounded(nil, s, false, limit)
	if cut {
		b = append(b, "..."...)
	}
	return string(b)
}

// appendBounded appends s to b rune by rune, escaped as strconv.Quote
// escapes it (all of it when quoting, else only what is not printable),
// and stops before b would grow past limit-1, reporting the cut.
func appendBounded(b []byte, s string, quoting bool, limit int) ([]byte, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		if quoting || r == utf8.RuneError || !strconv.IsPrint(r) {
			q := strconv.Quote(piece)
			piece = q[1 : len(q)-1]
		}
		if len(b)+len(piece)+1 > limit {
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
