package ipt

import (
	"errors"
	"strings"
)

// token is one argument of a rule line, with the span it covers in the
// line (quotes included) so a match can quote itself as written.
type token struct {
	s          string
	start, end int
	quoted     bool // a quoted "!" or "-x" is a value, never a negation or an option
}

var errUnterminated = errors.New("unterminated quotes")

// tokenize splits a line as iptables-restore does (add_param_to_argv):
// blanks separate arguments; "..." quotes, inside which a backslash
// escapes the next character; a closing quote ends the argument, so ""
// is an empty argument. Single quotes and backslashes outside quotes are
// ordinary characters, as they are to iptables-restore.
func tokenize(line string) ([]token, error) {
	t := tokenizer{line: line}
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '"':
			end, err := t.quoted(i)
			if err != nil {
				return nil, err
			}
			i = end
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			t.emit(i)
		default:
			t.begin(i)
			if t.built {
				t.b.WriteByte(c)
			}
		}
	}
	t.emit(len(line))
	return t.toks, nil
}

// tokenizer is tokenize's state: the argument being read. Arguments
// without quotes are slices of the line; only quoted ones are built.
type tokenizer struct {
	line  string
	toks  []token
	b     strings.Builder
	in    bool
	built bool
	start int
}

func (t *tokenizer) begin(i int) {
	if !t.in {
		t.in, t.built, t.start = true, false, i
	}
}

// emit ends the argument being read, if any, at end.
func (t *tokenizer) emit(end int) {
	if !t.in {
		return
	}
	s := t.line[t.start:end]
	if t.built {
		s = t.b.String()
		t.b.Reset()
	}
	t.toks = append(t.toks, token{s: s, start: t.start, end: end, quoted: t.built})
	t.in = false
}

// quoted reads the quoted string opening at line[i] and returns the index
// of its closing quote, which ends the argument.
func (t *tokenizer) quoted(i int) (int, error) {
	t.begin(i)
	if !t.built {
		t.built = true
		t.b.WriteString(t.line[t.start:i])
	}
	for j := i + 1; j < len(t.line); j++ {
		switch t.line[j] {
		case '\\':
			if j++; j < len(t.line) {
				t.b.WriteByte(t.line[j])
			}
		case '"':
			t.emit(j + 1)
			return j, nil
		default:
			t.b.WriteByte(t.line[j])
		}
	}
	return 0, errUnterminated
}

// isOption reports whether an argument is an option name rather than a
// value: the way iptables tells "! --dport" (negation of what follows)
// from "--dport ! 22" (the pre-1.4.3 spelling).
func isOption(s string) bool {
	return len(s) > 1 && s[0] == '-' && !isNumber(s[1:])
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
