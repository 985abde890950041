package render

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Style is how tables are drawn: the width they must fit (0: no limit)
// and whether to colour.
type Style struct {
	Width int
	Color bool
}

// column is a table column; a wrapped column's cells are wrapped at
// spaces to make the table fit, the others (ports, states) never are.
type column struct {
	header string
	wrap   bool
	// optional columns are left out when no row has anything in them.
	optional bool
}

// table lays out rows to fit Style.Width before tablewriter draws them.
type table struct {
	w     io.Writer
	style Style
	cols  []column
	rows  [][]string
}

// borders is what tablewriter's box adds to the cells' widths: "│ " and
// " " per column, and the closing "│".
func borders(n int) int { return 3*n + 1 }

// minWrapped is the narrowest a wrapped column gets, unless a word of
// its header is longer.
const minWrapped = 6

func newTable(w io.Writer, style Style, cols ...column) *table {
	return &table{w: w, style: style, cols: cols}
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) render() error {
	t.dropEmpty()
	widths := t.fit()
	tb := tablewriter.NewTable(t.w, tablewriter.WithRowAutoWrap(tw.WrapNone), tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone), tablewriter.WithTrimSpace(tw.Off))
	header := make([]any, len(t.cols))
	for i, c := range t.cols {
		header[i] = wrapText(c.header, widths[i])
	}
	tb.Header(header...)
	for _, r := range t.rows {
		cells := make([]any, len(r))
		for i, c := range r {
			cells[i] = wrapText(c, widths[i])
		}
		if err := tb.Append(cells...); err != nil {
			return err
		}
	}
	return tb.Render()
}

// dropEmpty leaves out the optional columns whose every cell is "-" or
// empty.
func (t *table) dropEmpty() {
	for i := len(t.cols) - 1; i >= 0; i-- {
		if t.cols[i].optional && t.emptyColumn(i) {
			t.cols = append(t.cols[:i], t.cols[i+1:]...)
			for r := range t.rows {
				t.rows[r] = append(t.rows[r][:i], t.rows[r][i+1:]...)
			}
		}
	}
}

func (t *table) emptyColumn(i int) bool {
	for _, r := range t.rows {
		if r[i] != "-" && r[i] != "" {
			return false
		}
	}
	return true
}

// fit is each column's width: its widest line, but the widest wrapped
// columns narrowed one by one until the table fits.
func (t *table) fit() []int {
	widths := make([]int, len(t.cols))
	for i, c := range t.cols {
		widths[i] = textWidth(c.header)
		for _, r := range t.rows {
			widths[i] = max(widths[i], textWidth(r[i]))
		}
	}
	if t.style.Width <= 0 {
		return widths
	}
	for total(widths) > t.style.Width {
		i := t.widestWrapped(widths)
		if i < 0 {
			break
		}
		widths[i]--
	}
	return widths
}

func total(widths []int) int {
	n := borders(len(widths))
	for _, w := range widths {
		n += w
	}
	return n
}

// widestWrapped is the widest wrapped column still above its minimum,
// or -1.
func (t *table) widestWrapped(widths []int) int {
	best := -1
	for i, c := range t.cols {
		floor := max(minWrapped, longestWord(c.header))
		if c.wrap && widths[i] > floor && (best < 0 || widths[i] > widths[best]) {
			best = i
		}
	}
	return best
}

func longestWord(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		n = max(n, utf8.RuneCountInString(w))
	}
	return n
}

// textWidth is the width of the widest line of s.
func textWidth(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

// wrapText wraps s at spaces to lines of at most width runes, breaking
// words longer than a line.
func wrapText(s string, width int) string {
	if width <= 0 || textWidth(s) <= width {
		return s
	}
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		lines = append(lines, wrapLine(para, width)...)
	}
	return strings.Join(lines, "\n")
}

func wrapLine(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if utf8.RuneCountInString(word) > width {
			if line != "" {
				lines, line = append(lines, line), ""
			}
			var pieces []string
			pieces, word = breakWord(word, width)
			lines = append(lines, pieces...)
		}
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	return append(lines, line)
}

// breakWord cuts a word longer than width into lines of width runes and
// the rest, in one pass (a 1 MB word must not cost its square).
func breakWord(word string, width int) ([]string, string) {
	r := []rune(word)
	var lines []string
	for len(r) > width {
		lines, r = append(lines, string(r[:width])), r[width:]
	}
	return lines, string(r)
}

// writeText writes s after prefix, wrapped to the style's width with the
// continuation lines indented as far as the prefix.
func writeText(w io.Writer, style Style, prefix, s string) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	width := style.Width - len(indent)
	if style.Width <= 0 {
		width = 0
	}
	for i, line := range strings.Split(wrapText(s, width), "\n") {
		if i == 0 {
			io.WriteString(w, prefix+line+"\n")
			continue
		}
		io.WriteString(w, indent+line+"\n")
	}
}

// writeNotes writes each note as "note: ...".
func writeNotes(w io.Writer, style Style, notes []string) {
	for _, n := range notes {
		writeText(w, style, "note: ", n)
	}
}
