// Package quote quotes pieces of input for error messages: Go-quoted, so
// that control bytes and invalid UTF-8 show as escapes and never reach a
// terminal raw, and cut short, so that one bad 60 KB line makes a
// one-line message. It depends on the standard library only.
package quote
