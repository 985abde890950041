package main

import (
	"io"

	"golang.org/x/sys/unix"
)

// ttyWidth is the width of the terminal w is, if it is one.
func ttyWidth(w io.Writer) (cols int, tty bool) {
	f, ok := fileOf(w)
	if !ok {
		return 0, false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, false
	}
	return int(ws.Col), true
}
