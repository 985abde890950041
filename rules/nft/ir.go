package nft

import (
	"fmt"

	"github.com/perimeter-dev/perimeter/rules"
)

// The readers meet in an intermediate form: the netlink decoder and the
// JSON parser both turn a rule into a list of items close to nft's own
// syntax (a match of a selector against values, a statement, a verdict);
// one lowering turns items into model rules, and one renderer spells them.
// So both readers give the same model, down to the text that names an
// undecided match.

// sel is what a match reads: a header field, a meta or conntrack key...
type sel struct {
	name  string      // nft syntax: "tcp dport", "ip saddr", "ct state"
	field rules.Field // noField when the evaluator cannot read it
	dt    dtype
	size  int    // bytes of a value
	host  bool   // the kernel keeps it in host byte order
	proto string // header it reads ("tcp", "ip", ...): its implicit dependency
}

// ivl is a closed interval of big-endian values of one selector.
type ivl struct{ lo, hi []byte }

// elem is one element of a value: an interval per selector.
type elem []ivl

// item is one element of a rule in the intermediate form.
type item interface{ isItem() }

// match holds when the selectors' value lies in one of elems (none, when
// neg). With bits, it holds when value & elems[0] != 0. mask is applied to
// a one-selector value first.
type match struct {
	sels  []sel
	neg   bool
	bits  bool
	mask  []byte
	elems []elem
	op    string // as written: "==", "<", "in"...; for rendering only
	cmpv  []byte // the value of a "<", ">", "<=" or ">="
	set   string // a named set, without "@"
	anon  bool   // an anonymous set, written { ... }
	// dynamic is set for a named set that rules fill as packets pass: its
	// contents now say nothing of the next packet.
	dynamic bool
	// opaque marks a match the evaluator cannot decide.
	opaque bool
	// implicit marks a protocol dependency nft leaves unwritten
	// ("tcp dport" implies "meta l4proto tcp"): a match, not shown.
	implicit bool
}

// opaqueItem is a condition the evaluator cannot decide: an unknown
// selector, a quota, a socket lookup... limit marks a rate limit.
type opaqueItem struct {
	text string
	// limit marks a rate limit, which over makes hold only above its
	// rate; choice a match the sender decides (ct count, a meter's
	// limit). Both are the sender's choices.
	limit  bool
	over   bool
	rate   rules.Rate // a packet limit's; zero for bytes or a named limit
	choice *rules.Choice
}

// limitItem is a limit statement: text as nft prints it ("limit rate over
// 10/second burst 20 packets").
func limitItem(text string, r rules.Rate, over bool) *opaqueItem {
	return &opaqueItem{text: text, limit: true, over: over, rate: r}
}

// packetRate is a limit's rate in the model's terms: rate per unit
// seconds, burst packets (nft's default 5); zero for a byte limit.
func packetRate(rate, unit, burst uint64, bytes bool) rules.Rate {
	if bytes || unit == 0 {
		return rules.Rate{}
	}
	if burst == 0 {
		burst = 5
	}
	return rules.Rate{PerSecond: float64(rate) / float64(unit), Burst: uint32(burst)}
}

// countChoice is ct count: it holds while the source has at most n
// connections open, or, over, only beyond.
func countChoice(text string, n uint64, over bool) *opaqueItem {
	return &opaqueItem{text: text, choice: &rules.Choice{Default: !over, If: fmt.Sprintf("with more than %d connections open", n)}}
}

// modelItem is a match already in the model's terms (an iptables
// extension decoded from its blob).
type modelItem struct {
	m rules.Match
}

// effect is a non-terminal statement: log, counter, marks, notrack...
type effect struct {
	st rules.Statement
}

// verdictItem ends the rule. Variants, when set, replace v: each holds
// under its extra matches (a reject whose ICMP type depends on the
// family, a DNAT whose address comes from a map).
type verdictItem struct {
	v        rules.Verdict
	text     string
	variants []variant
}

type variant struct {
	matches []*match
	v       rules.Verdict
}

// vmapItem is a verdict map: the verdict of the element the key falls in.
type vmapItem struct {
	sels    []sel
	entries []vmapEntry
	set     string
	text    string
}

type vmapEntry struct {
	e elem
	v rules.Verdict
}

func (*match) isItem()       {}
func (*modelItem) isItem()   {}
func (*opaqueItem) isItem()  {}
func (*effect) isItem()      {}
func (*verdictItem) isItem() {}
func (*vmapItem) isItem()    {}

// irRule is one rule in the intermediate form.
type irRule struct {
	items   []item
	handle  uint64
	comment string
	text    string // nft's own spelling, when known
}

// irChain is a chain and its rules.
type irChain struct {
	name     string
	hook     rules.Hook
	prio     int
	typ      string
	policy   rules.VerdictKind
	devices  []string
	base     bool
	handle   uint64
	rules    []*irRule
	noDevice bool // a netdev base chain whose devices the input did not say
}

// irTable is a table with its chains.
type irTable struct {
	family  rules.Family
	name    string
	backend rules.Backend
	// iptShows: iptables-nft can show the table, so the iptables
	// reader reads it.
	iptShows bool
	chains   []*irChain
	notes    []string
}

// dynsetItem is an "add/update @set { key ... }" statement: it always
// holds, unless a stateful statement inside may stop the rule: a limit or
// ct count, per element (the sender's choice), or a quota (unknown).
func dynsetItem(text string, subs []item) item {
	var stops []*opaqueItem
	for _, it := range subs {
		if o, ok := it.(*opaqueItem); ok {
			stops = append(stops, o)
		}
	}
	switch {
	case len(stops) == 0:
		return other(text)
	case len(stops) == 1 && stops[0].limit:
		return limitItem(text, stops[0].rate, stops[0].over)
	case len(stops) == 1 && stops[0].choice != nil:
		return &opaqueItem{text: text, choice: stops[0].choice}
	}
	return &opaqueItem{text: text}
}
