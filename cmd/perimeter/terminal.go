package main

import (
	"io"
	"os"
	"strconv"

	"github.com/perimeter-dev/perimeter/report/render"
)

// pipedWidth is the width tables fit when the output is not a terminal
// and COLUMNS is not set.
const pipedWidth = 100

// terminal is what the command knows of where its output goes: the
// environment (COLUMNS, NO_COLOR), and the terminal's own width.
type terminal struct {
	getenv func(string) string
}

// style is how tables written to w are drawn: as wide as COLUMNS, else
// as the terminal, else 100 columns; in colour only on a terminal and
// without NO_COLOR.
func (t terminal) style(w io.Writer) render.Style {
	s := render.Style{Width: pipedWidth}
	cols, tty := ttyWidth(w)
	if tty && cols > 0 {
		s.Width = cols
	}
	if n, err := strconv.Atoi(t.getenv("COLUMNS")); err == nil && n > 0 {
		s.Width = n
	}
	s.Color = tty && t.getenv("NO_COLOR") == ""
	return s
}

// isTerminal tells whether w is a terminal.
func isTerminal(w io.Writer) bool {
	_, tty := ttyWidth(w)
	return tty
}

func fileOf(w io.Writer) (*os.File, bool) {
	f, ok := w.(*os.File)
	return f, ok
}
