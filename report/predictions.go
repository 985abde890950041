package report

import (
	"net/netip"
	"slices"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/internal/reject"
	"github.com/perimeter-dev/perimeter/rules"
)

// Predictions is what `perimeter rules` reports: the port maps of its
// queries, under one stated environment.
type Predictions struct {
	Env   *rules.Env
	Sets  []PredictionSet
	Notes []string
}

// PredictionSet is the port map of one query: one family, one protocol,
// one packet origin.
type PredictionSet struct {
	Query       rules.Query
	Predictions []rules.PortPrediction
	// Neighbor is the fate of IPv6 neighbour discovery towards the
	// query's destination; nil for IPv4.
	Neighbor *rules.NeighborDiscovery
}

// Prediction is one port range of a prediction, in the JSON form that
// `perimeter rules --output json` documents. Its outcome fields speak for
// the default probe.
type Prediction struct {
	Family   rules.Family `json:"family"`
	Protocol string       `json:"protocol"`
	FromPort uint16       `json:"from_port"`
	ToPort   uint16       `json:"to_port"`
	Outcome
	Certain bool `json:"certain"`
	// Possible is every verdict any outcome meets, spelled as Verdict.
	Possible  []string `json:"possible"`
	Undecided []string `json:"undecided"`
	// Exposure is what the best-placed sender reaches: "reachable",
	// "reachable if <choice>", "not reachable", "unknown (<unknowns>)".
	Exposure      string         `json:"exposure"`
	OtherOutcomes []OtherOutcome `json:"other_outcomes"`
	InIface       string         `json:"in_interface"`
	Source        netip.Addr     `json:"source"`
	Dest          netip.Addr     `json:"destination"`
}

// Outcome is what one outcome does, as a prober and an auditor see it.
type Outcome struct {
	// Verdict is spelled as VerdictWord does ("reject:tcp-reset"), as
	// Prediction.Possible lists it; RejectWith is the reject type alone,
	// "" for any other verdict.
	Verdict    string           `json:"verdict"`
	RejectWith string           `json:"reject_with"`
	Logged     bool             `json:"logged"`
	Log        []rules.LogEvent `json:"log"`
	Rule       rules.Origin     `json:"rule"`
	// SeenListening and SeenNotListening are what a prober from outside
	// should see on these ports with and without a listener: the verdict,
	// and the fate of the host's replies on their way out (probe.Unknown
	// when undecided; for a forwarded packet, with or without a listener
	// on the host it is forwarded to).
	SeenListening    probe.State `json:"seen_if_listening"`
	SeenNotListening probe.State `json:"seen_if_not_listening"`
	NAT              string      `json:"nat,omitempty"`
	Forwarded        bool        `json:"forwarded"`
	SourcePort       uint16      `json:"source_port"`
}

// OtherOutcome is an outcome besides the default probe's, with what leads
// to it: the sender's choices, and the unknowns it assumes.
type OtherOutcome struct {
	If       []string `json:"if"`
	Assuming []string `json:"assuming"`
	Outcome
}

// Flatten turns prediction sets into rows, one per port range.
func Flatten(sets []PredictionSet) []Prediction {
	var out []Prediction
	for _, s := range sets {
		for _, p := range s.Predictions {
			out = append(out, flat(s.Query, p))
		}
	}
	return out
}

func flat(q rules.Query, p rules.PortPrediction) Prediction {
	res := p.Result
	row := Prediction{
		Family: q.Family, Protocol: rules.ProtoName(q.Proto), FromPort: p.From, ToPort: p.To,
		Outcome: outcomeRow(res.Default()), Certain: res.Certain(), Possible: possible(res, q.Family),
		Undecided: nonNil(res.Undecided), Exposure: res.Exposure().String(), OtherOutcomes: []OtherOutcome{},
		InIface: q.InIface, Source: q.Src, Dest: q.Dst,
	}
	row.SeenListening, row.SeenNotListening = seen(func(listening func(uint16) bool) (probe.State, bool) {
		return Expected(res, q.Proto, p.From, listening)
	})
	for _, o := range res.Outcomes[1:] {
		other := OtherOutcome{If: nonNil(o.Conditions()), Assuming: assuming(o), Outcome: outcomeRow(o)}
		other.SeenListening, other.SeenNotListening = seenOutcome(o, q.Proto, p.From)
		row.OtherOutcomes = append(row.OtherOutcomes, other)
	}
	return row
}

// seen is what a prober sees with a listener and without one, as expect
// tells.
func seen(expect func(listening func(uint16) bool) (probe.State, bool)) (withListener, without probe.State) {
	withListener, _ = expect(func(uint16) bool { return true })
	without, _ = expect(func(uint16) bool { return false })
	return withListener, without
}

// seenOutcome is what a prober sees on port, with a listener and without
// one, when the rules treat its packet as o.
func seenOutcome(o rules.Outcome, proto uint8, port uint16) (withListener, without probe.State) {
	return seen(func(listening func(uint16) bool) (probe.State, bool) {
		return ExpectedOutcome(o, proto, port, listening)
	})
}

// VerdictText is the verdict as the tables show it, which is Verdict:
// "reject:tcp-reset".
func (o Outcome) VerdictText() string { return o.Verdict }

// VerdictWord spells a verdict for a packet of family f as perimeter's
// words have it, the one spelling of a row's verdict and of its possible
// ones: accept, drop, reject:<type> (in the family's terms, see
// RejectName), queue, unknown-target.
func VerdictWord(v rules.Verdict, f rules.Family) string {
	if v.Kind == rules.Reject {
		return "reject:" + RejectName(v.RejectWith, f)
	}
	return v.Kind.String()
}

// RejectName is a reject type as a packet of family f meets it: the
// model names nft's "reject" in an inet table by its IPv4 type for both
// families, but an IPv6 packet is answered "icmp6-port-unreachable". For
// a family other than ipv4 or ipv6 the name stays.
func RejectName(with string, f rules.Family) string {
	switch f {
	case rules.FamilyIPv4, rules.FamilyIPv6:
		return reject.InFamily(with, f == rules.FamilyIPv6)
	}
	return with
}

// possible is every verdict an outcome meets, spelled as Outcome.Verdict.
func possible(res rules.Result, f rules.Family) []string {
	out := []string{}
	for _, o := range res.Outcomes {
		if v := VerdictWord(o.Verdict, f); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// outcomeRow is what one outcome does, but for what a prober sees of it.
func outcomeRow(o rules.Outcome) Outcome {
	f := addrFamily(o.Dst)
	row := Outcome{Verdict: VerdictWord(o.Verdict, f), Logged: len(o.Logs) > 0,
		Log: o.Logs, Rule: o.Decider, Forwarded: o.Forwarded, SourcePort: o.Sport}
	if o.Verdict.Kind == rules.Reject {
		row.RejectWith = RejectName(o.Verdict.RejectWith, f)
	}
	if o.NATed {
		row.NAT = netip.AddrPortFrom(o.Dst, o.Dport).String()
	}
	if row.Log == nil {
		row.Log = []rules.LogEvent{}
	}
	return row
}

// addrFamily is the family of the packet an outcome's destination
// belongs to; "" when the outcome names none.
func addrFamily(a netip.Addr) rules.Family {
	switch {
	case a.Is4():
		return rules.FamilyIPv4
	case a.Is6():
		return rules.FamilyIPv6
	}
	return ""
}

// assuming spells the unknowns an outcome assumed: "X" or "not X".
func assuming(o rules.Outcome) []string {
	out := []string{}
	for _, a := range o.Unknowns() {
		if a.Holds {
			out = append(out, a.Match)
		} else {
			out = append(out, "not "+a.Match)
		}
	}
	return out
}

func nonNil(ss []string) []string { return nonNilSlice(ss) }
