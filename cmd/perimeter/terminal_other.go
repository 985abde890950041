//go:build !linux

package main

import (
	"io"
	"os"
)

// ttyWidth tells whether w is a character device; its width is unknown.
func ttyWidth(w io.Writer) (cols int, tty bool) {
	f, ok := fileOf(w)
	if !ok {
		return 0, false
	}
	st, err := f.Stat()
	return 0, err == nil && st.Mode()&os.ModeCharDevice != 0
}
