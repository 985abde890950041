package rules

import (
	"fmt"
	"math"
	"strconv"
)

// A prediction speaks for the default probe (DESIGN.md): a new connection
// from a source the host has not seen, from an ephemeral source port, one
// packet at a time, TTL 64, no IPv6 extension headers. A match the rules
// hold that the default probe does not settle is one of two kinds:
//   - the sender's choice (its source port, its rate against a limit, the
//     order of its probes against a recent list, IPsec): the default probe
//     takes one side, and the other side is an outcome of its own, with the
//     condition that leads to it;
//   - an unknown (an ipset whose contents were not given, a mark set by
//     another program, a module perimeter does not understand): nobody
//     outside can tell which side holds, so the answer is undecided.

// ConditionKind says which kind of doubt a condition is.
type ConditionKind uint8

// Condition kinds.
const (
	ChoiceCondition  ConditionKind = iota + 1 // the sender decides it
	UnknownCondition                          // nobody outside can tell
)

func (k ConditionKind) String() string {
	if k == ChoiceCondition {
		return "choice"
	}
	return "unknown"
}

// MarshalText spells the kind in JSON.
func (k ConditionKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Choice marks a match whose truth the sender decides.
type Choice struct {
	// Default is the match's truth for the default probe.
	Default bool
	// If says what a sender does to make it the other way: "faster than
	// 100/min", "over IPsec".
	If string
	// Rate is, for a rate limit, the rate: a sender below it takes the
	// default side.
	Rate *Rate
}

// Order is what turns a recent-list check: Earlier probes from the same
// source that put it on List (probes whose way runs "recent --set").
type Order struct {
	List    string `json:"list"`
	Earlier int    `json:"earlier_probes"`
}

// Rate is a packet rate limit: PerSecond on average, Burst at once.
type Rate struct {
	PerSecond float64 `json:"per_second"`
	Burst     uint32  `json:"burst"`
}

// rateUnits are the units a rate is spelled in, shortest first.
var rateUnits = []struct {
	name string
	secs float64
}{{"s", 1}, {"min", 60}, {"hour", 3600}, {"day", 86400}}

// String spells the rate in the first unit that makes it a whole number,
// as it was most likely written: "25/s (burst 50)", "3/min (burst 10)".
func (r Rate) String() string {
	n, unit := r.PerSecond, "s"
	for _, u := range rateUnits {
		if v := r.PerSecond * u.secs; v >= 1 && math.Abs(v-math.Round(v)) < 1e-6*v {
			n, unit = math.Round(v), u.name
			break
		}
	}
	s := strconv.FormatFloat(n, 'g', 4, 64) + "/" + unit
	if r.Burst > 0 {
		s += fmt.Sprintf(" (burst %d)", r.Burst)
	}
	return s
}

// Assumption is the value an outcome gave a match the default probe does
// not settle.
type Assumption struct {
	Match string        `json:"match"` // the match as written: its identity
	Holds bool          `json:"holds"`
	Kind  ConditionKind `json:"kind"`
	// Rate is, for a rate limit, its rate.
	Rate *Rate `json:"rate,omitempty"`
	// Order is, for a recent-list check, the earlier probes that turn it.
	Order *Order `json:"order,omitempty"`
	// Default is, for a choice, the side the default probe takes.
	Default bool `json:"-"`
	// If is, for a choice taken the other way, the sender's condition in
	// words ("from source port 53").
	If string `json:"if,omitempty"`
}

// Departs reports whether the assumption leaves the default probe: a
// choice taken the other way.
func (a Assumption) Departs() bool {
	return a.Kind == ChoiceCondition && a.Holds != a.Default
}

// decision is a fork the walker meets: a match (or a verdict map's key)
// the default probe does not settle.
type decision struct {
	key  string
	kind ConditionKind
	// dflt is the side the first walk takes: the default probe's for a
	// choice, "holds" for an unknown.
	dflt bool
	// ifOther is the condition, in words, of a choice's other side.
	ifOther string
	// free marks a fork on a free field's values: the outcome states the
	// values it stands for instead (freeAssumptions).
	free  bool
	rate  *Rate
	order *Order
}

func unknownDecision(key string) decision {
	return decision{key: key, kind: UnknownCondition, dflt: true}
}

func choiceDecision(key string, dflt bool, ifOther string) decision {
	return decision{key: key, kind: ChoiceCondition, dflt: dflt, ifOther: ifOther}
}

func (d decision) assume(holds bool) Assumption {
	a := Assumption{Match: d.key, Holds: holds, Kind: d.kind, Default: d.dflt, Rate: d.rate, Order: d.order}
	if a.Departs() {
		a.If = d.ifOther
	}
	return a
}
