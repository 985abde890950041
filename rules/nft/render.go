package nft

import (
	"bytes"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// The renderer spells the intermediate form in nft syntax. Texts of
// matches are identities in the model (an undecided match is named by its
// text), so both readers must render through here.

func (m *match) String() string {
	var b strings.Builder
	b.WriteString(selsName(m.sels))
	if m.mask != nil && !m.bits {
		fmt.Fprintf(&b, " & %s", formatValue(maskType(m.sels[0].dt), m.mask))
	}
	op := m.op
	switch {
	case m.bits && m.neg:
		op = "!="
	case m.bits:
		op = ""
	case op == "" && m.neg:
		op = "!="
	case op == "==" && m.mask == nil && !(m.sels[0].dt.isFlags() && len(m.sels) == 1 && m.set == "" && !m.anon), op == "in" && !m.bits:
		op = ""
	}
	if op != "" {
		b.WriteString(" " + op)
	}
	b.WriteString(" " + m.valueString())
	return b.String()
}

// maskType spells masks of flag types as flags, others in hex.
func maskType(t dtype) dtype {
	if t.isFlags() {
		return t
	}
	return dtHex
}

func selsName(sels []sel) string {
	names := make([]string, len(sels))
	for i, s := range sels {
		names[i] = s.name
	}
	return strings.Join(names, " . ")
}

func (m *match) valueString() string {
	if m.cmpv != nil && len(m.sels) == 1 {
		return formatValue(m.sels[0].dt, m.cmpv)
	}
	if m.set != "" {
		return "@" + m.set
	}
	if m.bits && len(m.elems) == 1 {
		return formatValue(m.sels[0].dt, m.elems[0][0].lo)
	}
	parts := make([]string, len(m.elems))
	for i, e := range m.elems {
		parts[i] = elemString(m.sels, e)
	}
	if m.anon || len(parts) != 1 {
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return parts[0]
}

func elemString(sels []sel, e elem) string {
	parts := make([]string, len(e))
	for i, iv := range e {
		dt := dtInt
		if i < len(sels) {
			dt = sels[i].dt
		}
		parts[i] = ivlString(dt, iv)
	}
	return strings.Join(parts, " . ")
}

// ivlString spells an interval: a value, a prefix, an interface wildcard or
// a range.
func ivlString(dt dtype, iv ivl) string {
	if bytes.Equal(iv.lo, iv.hi) {
		return formatValue(dt, iv.lo)
	}
	switch dt {
	case dtIPv4, dtIPv6:
		if n, ok := prefixLen(iv); ok {
			a, _ := netip.AddrFromSlice(iv.lo)
			return fmt.Sprintf("%s/%d", a, n)
		}
	case dtIfname:
		if p, ok := ifnamePrefix(iv); ok {
			return strconv.Quote(p + "*")
		}
	}
	return formatValue(dt, iv.lo) + "-" + formatValue(dt, iv.hi)
}

// prefixLen reports whether iv is exactly a CIDR prefix, and its length.
func prefixLen(iv ivl) (int, bool) {
	if len(iv.lo) != len(iv.hi) {
		return 0, false
	}
	n := 0
	i := 0
	for ; i < len(iv.lo) && iv.lo[i] == iv.hi[i]; i++ {
		n += 8
	}
	if i == len(iv.lo) {
		return n, true
	}
	diff := iv.lo[i] ^ iv.hi[i]
	host := bits.Len8(diff)
	low := byte(1<<host - 1)
	if iv.lo[i]&low != 0 || iv.hi[i]&low != low || diff != low {
		return 0, false
	}
	n += 8 - host
	for j := i + 1; j < len(iv.lo); j++ {
		if iv.lo[j] != 0 || iv.hi[j] != 0xff {
			return 0, false
		}
	}
	return n, true
}

func ifnamePrefix(iv ivl) (string, bool) {
	p := strings.TrimRight(string(iv.lo), "\x00")
	if want := ifacePrefix(p); bytes.Equal(want.lo, iv.lo) && bytes.Equal(want.hi, iv.hi) {
		return p, true
	}
	return "", false
}

// sortElems orders elements by value, as nft lists them.
func sortElems(es []elem) {
	slices.SortStableFunc(es, func(a, b elem) int {
		for i := range min(len(a), len(b)) {
			if c := bytes.Compare(a[i].lo, b[i].lo); c != 0 {
				return c
			}
		}
		return len(a) - len(b)
	})
}

// verdictText spells a verdict as nft does.
func verdictText(v rules.Verdict) string {
	switch v.Kind {
	case rules.Jump, rules.Goto:
		return v.Kind.String() + " " + v.Chain
	case rules.Queue:
		if v.Queue != "" {
			return "queue " + v.Queue
		}
		return "queue"
	}
	return v.Kind.String()
}

// limitText spells a limit as nft 1.0.6 lists it.
func limitText(rate, unit uint64, burst uint64, bytesType, over bool) string {
	inv := ""
	if over {
		inv = "over "
	}
	per := limitUnit(unit)
	if !bytesType {
		s := fmt.Sprintf("limit rate %s%d/%s", inv, rate, per)
		if burst != 0 && burst != 5 {
			s += fmt.Sprintf(" burst %d packets", burst)
		}
		return s
	}
	r, ru := byteUnit(rate)
	s := fmt.Sprintf("limit rate %s%d %s/%s", inv, r, ru, per)
	if burst != 0 {
		b, bu := byteUnit(burst)
		s += fmt.Sprintf(" burst %d %s", b, bu)
	}
	return s
}

func limitUnit(seconds uint64) string {
	switch seconds {
	case 1:
		return "second"
	case 60:
		return "minute"
	case 3600:
		return "hour"
	case 86400:
		return "day"
	case 604800:
		return "week"
	}
	return fmt.Sprintf("%ds", seconds)
}

var unitSeconds = map[string]uint64{"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}

// byteUnit picks the largest unit that divides n, as nft does.
func byteUnit(n uint64) (uint64, string) {
	units := []string{"bytes", "kbytes", "mbytes"}
	i := 0
	for i < len(units)-1 && n != 0 && n%1024 == 0 {
		n /= 1024
		i++
	}
	return n, units[i]
}

var byteUnits = map[string]uint64{"bytes": 1, "kbytes": 1024, "mbytes": 1024 * 1024}

func quotaText(n uint64, over bool) string {
	v, u := byteUnit(n)
	if over {
		return fmt.Sprintf("quota over %d %s", v, u)
	}
	return fmt.Sprintf("quota %d %s", v, u)
}

func ctCountText(n uint64, over bool) string {
	if over {
		return fmt.Sprintf("ct count over %d", n)
	}
	return fmt.Sprintf("ct count %d", n)
}

// logText spells a log statement.
func logText(l rules.Log, flags string) string {
	parts := []string{"log"}
	if l.Prefix != "" {
		parts = append(parts, "prefix "+strconv.Quote(l.Prefix))
	}
	if l.Group != 0 {
		parts = append(parts, fmt.Sprintf("group %d", l.Group))
	}
	if l.Level != "" && l.Level != "warn" {
		parts = append(parts, "level "+l.Level)
	}
	if flags != "" {
		parts = append(parts, "flags "+flags)
	}
	return strings.Join(parts, " ")
}

// logLevels are syslog levels as nft names them.
var logLevels = []string{"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", "audit"}

// renderRule spells a whole rule, for rules whose nft text is not known.
func renderRule(items []item, comment string) string {
	var parts []string
	for _, it := range items {
		if t := itemText(it); t != "" {
			parts = append(parts, t)
		}
	}
	if comment != "" {
		parts = append(parts, "comment "+strconv.Quote(comment))
	}
	return strings.Join(parts, " ")
}

func itemText(it item) string {
	switch x := it.(type) {
	case *match:
		if x.implicit {
			return ""
		}
		return x.String()
	case *opaqueItem:
		return x.text
	case *modelItem:
		return x.m.Text
	case *effect:
		return x.st.Text
	case *verdictItem:
		return x.text
	case *vmapItem:
		return x.text
	}
	return ""
}
