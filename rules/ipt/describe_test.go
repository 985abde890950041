package ipt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

// describe prints a match compactly for tests: "!dport 22|80-90",
// "ctstate&0x0a 1-255", "saddr.dport 10.0.0.1 . 22", "opaque{-m foo}".
func describe(m rules.Match) string {
	switch {
	case m.Recent != nil:
		neg := ""
		if m.Negate {
			neg = "!"
		}
		return fmt.Sprintf("%srecent{%s >= %d}", neg, m.Recent.Name, m.Recent.HitCount)
	case m.IsLimit():
		return "limit{" + m.Text + "}"
	case m.IsOpaque():
		return "opaque{" + m.Text + "}"
	}
	var b strings.Builder
	if m.Negate {
		b.WriteString("!")
	}
	names := make([]string, len(m.Fields))
	for i, f := range m.Fields {
		names[i] = f.String()
	}
	b.WriteString(strings.Join(names, "."))
	if m.Mask != nil {
		fmt.Fprintf(&b, "&0x%x", m.Mask)
	}
	b.WriteString(" ")
	var elems []string
	for _, e := range m.Elems {
		var parts []string
		for i, iv := range e {
			parts = append(parts, describeInterval(m.Fields[i], iv))
		}
		elems = append(elems, strings.Join(parts, " . "))
	}
	b.WriteString(strings.Join(elems, "|"))
	return b.String()
}

func describeInterval(f rules.Field, iv rules.Interval) string {
	if f == rules.FieldIIF || f == rules.FieldOIF {
		lo := string(bytes.TrimRight(iv.Lo, "\x00"))
		if !bytes.Equal(iv.Lo, iv.Hi) {
			return lo + "+"
		}
		return lo
	}
	lo, hi := describeKey(f, iv.Lo), describeKey(f, iv.Hi)
	if lo == hi {
		return lo
	}
	return lo + "-" + hi
}

func describeKey(f rules.Field, k []byte) string {
	switch {
	case f == rules.FieldSaddr || f == rules.FieldDaddr:
		a, _ := netip.AddrFromSlice(k)
		return a.String()
	case len(k) == 4:
		return fmt.Sprintf("0x%x", binary.BigEndian.Uint32(k))
	case len(k) == 2:
		return fmt.Sprint(binary.BigEndian.Uint16(k))
	case len(k) == 1:
		return fmt.Sprint(k[0])
	}
	return fmt.Sprintf("%x", k)
}

// describeRule prints a rule: its matches, then "=>" and its statements
// and verdict.
func describeRule(r *rules.Rule) string {
	var parts []string
	for _, m := range r.Matches {
		parts = append(parts, describe(m))
	}
	for _, s := range r.Statements {
		parts = append(parts, describeStmt(s))
	}
	return strings.Join(parts, " ; ") + " => " + describeVerdict(r.Verdict)
}

func describeStmt(s rules.Statement) string {
	switch s.Kind {
	case rules.StmtLog:
		return fmt.Sprintf("log{%s prefix=%q level=%s group=%d}", s.Log.Kind, s.Log.Prefix, s.Log.Level, s.Log.Group)
	case rules.StmtSetMark:
		return fmt.Sprintf("mark{0x%x/0x%x}", s.Value, s.Mask)
	case rules.StmtSetCtMark:
		return fmt.Sprintf("ctmark{0x%x/0x%x}", s.Value, s.Mask)
	case rules.StmtSaveMark:
		return fmt.Sprintf("savemark{0x%x}", s.Mask)
	case rules.StmtRestoreMark:
		return fmt.Sprintf("restoremark{0x%x}", s.Mask)
	case rules.StmtNotrack:
		return "notrack"
	case rules.StmtRecentSet:
		return "recentset{" + s.Set + "}"
	}
	return "other{" + s.Text + "}"
}

func describeVerdict(v rules.Verdict) string {
	s := v.String()
	if v.NAT != nil {
		n := v.NAT
		s += fmt.Sprintf("{%v-%v:%d-%d}", n.Addr, n.AddrHi, n.Port, n.PortHi)
	}
	if v.Queue != "" {
		s += "{" + v.Queue + "}"
	}
	return s
}

// parseLines parses rule lines in a table of a scratch ruleset that
// declares the chains tests jump to.
func parseLines(t *testing.T, fam rules.Family, table string, lines ...string) (*rules.Ruleset, error) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%s\n", table)
	for name := range builtins[table] {
		fmt.Fprintf(&b, ":%s ACCEPT [0:0]\n", name)
	}
	b.WriteString(":chain - [0:0]\n:other - [0:0]\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("COMMIT\n")
	return Parse(strings.NewReader(b.String()), Options{Family: fam, Source: "test"})
}

// chainRules describes the rules of one chain.
func chainRules(rs *rules.Ruleset, chain string) []string {
	var out []string
	for _, t := range rs.Tables {
		if c := t.Chain(chain); c != nil {
			for _, r := range c.Rules {
				out = append(out, describeRule(r))
			}
		}
	}
	return out
}
