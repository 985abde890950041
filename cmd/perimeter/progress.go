package main

import (
	"fmt"
	"io"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/report/render"
)

// progressBar draws on a terminal once a run has lasted a second.
type progressBar struct {
	w     io.Writer
	on    bool
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, on: isTerminal(w)}
}

func (b *progressBar) update(p probe.Progress) {
	if !b.on || p.Elapsed < time.Second {
		return
	}
	fmt.Fprintf(b.w, "\r\033[K%s", render.ProgressLine(p, 30))
	b.drawn = true
}

func (b *progressBar) clear() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
