package nft

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// RuleRef names a rule: its table, chain and handle.
type RuleRef struct {
	Family rules.Family
	Table  string
	Chain  string
	Handle uint64
}

// parseListing reads `nft -a list ruleset` and returns each rule's text by
// table, chain and handle: nft's own spelling, shown to users as is but
// for the running counts (see withoutCounts).
func parseListing(out []byte) map[RuleRef]string {
	texts := map[RuleRef]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var ref RuleRef
	depth := 0
	inChain := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		body, handle, hasHandle := cutHandle(line)
		fields := strings.Fields(body)
		switch {
		case depth == 0 && len(fields) >= 3 && fields[0] == "table":
			ref = RuleRef{Family: familyByName[fields[1]], Table: unquote(fields[2])}
		case depth == 1 && len(fields) >= 2 && fields[0] == "chain":
			ref.Chain, inChain = unquote(fields[1]), true
		case depth == 2 && inChain && hasHandle:
			ref.Handle = handle
			texts[ref] = withoutCounts(body)
		}
		depth += braceDelta(body)
		if depth <= 1 {
			inChain = false
		}
		if depth < 0 {
			depth = 0
		}
	}
	return texts
}

// Running counts: an anonymous counter's values, and what a quota has
// used (nft lists "used" only once it is above zero).
var (
	counterCounts = regexp.MustCompile(`\bcounter packets [0-9]+ bytes [0-9]+`)
	quotaUsed     = regexp.MustCompile(`(\bquota (?:over |until )?[0-9]+ [km]?bytes) used [0-9]+ [km]?bytes`)
)

// withoutCounts drops the running counts from a rule's text outside its
// quoted strings: "counter packets 395986 bytes 123" becomes "counter",
// and "quota 10 mbytes used 5 kbytes" "quota 10 mbytes". They change with
// every packet, so a live rule would read differently on every run and
// differently from the same rule in a file (whose counts, loaded into a
// scratch namespace, are zero); read from nft JSON or over netlink alone
// it is spelled "counter" too (see renderRule), so every source shows it
// alike.
func withoutCounts(text string) string {
	var b strings.Builder
	start := 0 // where the current unquoted part began
	quoted := false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"' && quoted:
			b.WriteString(text[start : i+1])
			start, quoted = i+1, false
		case c == '"':
			b.WriteString(dropCounts(text[start:i]))
			start, quoted = i, true
		}
	}
	if quoted {
		b.WriteString(text[start:])
	} else {
		b.WriteString(dropCounts(text[start:]))
	}
	return b.String()
}

func dropCounts(s string) string {
	return quotaUsed.ReplaceAllString(counterCounts.ReplaceAllString(s, "counter"), "$1")
}

// cutHandle splits "... # handle 12" into the text and the handle.
func cutHandle(line string) (string, uint64, bool) {
	i := strings.LastIndex(line, "# handle ")
	if i < 0 {
		return line, 0, false
	}
	h, err := strconv.ParseUint(strings.TrimSpace(line[i+len("# handle "):]), 10, 64)
	if err != nil {
		return line, 0, false
	}
	return strings.TrimSpace(line[:i]), h, true
}

// braceDelta counts braces outside quoted strings.
func braceDelta(s string) int {
	n := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '{' && !quoted:
			n++
		case c == '}' && !quoted:
			n--
		}
	}
	return n
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}
