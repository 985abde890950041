package render

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
)

// WritePredictionsJSON writes {"environment": {...},
// "neighbor_discovery": [...], "predictions": [...], "notes": [...]}.
func WritePredictionsJSON(w io.Writer, r report.Predictions) error {
	doc := struct {
		Environment       *rules.Env          `json:"environment"`
		NeighborDiscovery []neighborRow       `json:"neighbor_discovery"`
		Predictions       []report.Prediction `json:"predictions"`
		Notes             []string            `json:"notes"`
	}{r.Env, neighborRows(r.Sets), report.Flatten(r.Sets), nonNil(r.Notes)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// neighborRow is the neighbour discovery fact of one IPv6 query.
type neighborRow struct {
	InIface string     `json:"in_interface"`
	Dest    netip.Addr `json:"destination"`
	*rules.NeighborDiscovery
}

func neighborRows(sets []report.PredictionSet) []neighborRow {
	out := []neighborRow{}
	for _, s := range sets {
		if s.Neighbor != nil && !slices.ContainsFunc(out, func(r neighborRow) bool { return r.InIface == s.Query.InIface && r.Dest == s.Query.Dst }) {
			out = append(out, neighborRow{s.Query.InIface, s.Query.Dst, s.Neighbor})
		}
	}
	return out
}

// WritePredictionsTable writes the environment, then per query one row
// per port range, then the notes.
func WritePredictionsTable(w io.Writer, r report.Predictions, style Style) error {
	if r.Env != nil {
		writeText(w, style, "environment: ", r.Env.Summary())
		fmt.Fprintln(w)
	}
	for _, s := range r.Sets {
		q := s.Query
		fmt.Fprintf(w, "%s %s from %s via %s to %s\n", q.Family, rules.ProtoName(q.Proto), q.Src, q.InIface, q.Dst)
		if s.Neighbor != nil {
			writeText(w, style, "neighbour discovery: ", neighborLine(s.Neighbor))
		}
		t := newTable(w, style, column{header: "PORTS"}, column{header: "VERDICT", wrap: true}, column{header: "SEEN"},
			column{header: "LOG", wrap: true}, column{header: "DECIDED BY", wrap: true},
			column{header: "EXPOSURE", wrap: true}, column{header: "OTHERWISE", wrap: true, optional: true})
		for _, p := range report.Flatten([]report.PredictionSet{s}) {
			t.add(ports(p), verdictCell(p), seenCell(p), logCell(p.Log), ruleCell(p.Rule), p.Exposure, otherwiseCell(p))
		}
		if err := t.render(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	writeNotes(w, style, r.Notes)
	return nil
}

// neighborLine says whether solicitations from each source are answered.
func neighborLine(nd *rules.NeighborDiscovery) string {
	one := func(src netip.Addr, r *rules.Reply) string {
		switch {
		case r.Passes():
			return fmt.Sprintf("answered from %s", src)
		case r.Certain:
			return fmt.Sprintf("from %s %s by %s", src, verdictIn(r.Verdict, rules.FamilyIPv6), strings.TrimSuffix(ruleCell(r.Decider), ";"))
		}
		return fmt.Sprintf("from %s undecided (%s)", src, strings.Join(r.Undecided, "; "))
	}
	return one(nd.LinkLocalSource, nd.FromLinkLocal) + "; " + one(nd.GlobalSource, nd.FromGlobal)
}

func ports(p report.Prediction) string {
	if p.FromPort == p.ToPort {
		return fmt.Sprint(p.FromPort)
	}
	return fmt.Sprintf("%d-%d", p.FromPort, p.ToPort)
}

func verdictCell(p report.Prediction) string {
	v := strings.Join(append([]string{p.VerdictText()}, defaultVerdicts(p)...), "|")
	if p.NAT != "" {
		v += " → " + p.NAT
	}
	if p.Forwarded {
		v += " (forwarded)"
	}
	return v
}

// seenCell is what a prober sees, with a listener and without, in one
// word when both agree.
func seenCell(p report.Prediction) string {
	if p.SeenListening == p.SeenNotListening {
		return string(p.SeenListening)
	}
	return string(p.SeenListening + "/" + p.SeenNotListening)
}

// defaultVerdicts are the verdicts the default probe may meet besides its
// first outcome's, as the unknowns fall.
func defaultVerdicts(p report.Prediction) []string {
	var out []string
	for _, o := range p.OtherOutcomes {
		if v := o.VerdictText(); len(o.If) == 0 && v != p.VerdictText() && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// otherwiseCell lists the other outcomes: their verdict, the sender's
// choices that lead there, the unknowns they assume.
func otherwiseCell(p report.Prediction) string {
	var parts []string
	for _, o := range p.OtherOutcomes {
		s := o.VerdictText()
		if len(o.If) > 0 {
			s += " if " + strings.Join(o.If, " and ")
		}
		if len(o.Assuming) > 0 {
			s += " assuming " + strings.Join(o.Assuming, ", ")
		}
		if len(o.Log) > 0 {
			s += ", logged"
		}
		if !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

func logCell(log []rules.LogEvent) string {
	var parts []string
	for _, l := range log {
		s := l.Kind
		if l.Prefix != "" {
			s += fmt.Sprintf(" %q", l.Prefix)
		}
		if l.Limit != "" {
			s += " (" + l.Limit + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// ruleCell names a rule by where it is, then as its source wrote it.
func ruleCell(o rules.Origin) string {
	where := o.String()
	if o.Text == "" {
		return where
	}
	return where + ": " + o.Text
}

// WriteExplain prints every step of one packet's way, outcome by outcome,
// then, for IPv6, neighbour discovery.
func WriteExplain(w io.Writer, q rules.Query, port uint16, res rules.Result, nd *rules.NeighborDiscovery) {
	fmt.Fprintf(w, "%s %s %s → %s via %s\n", q.Family, rules.ProtoName(q.Proto),
		sourceText(q.Src, defaultSport(res)), netip.AddrPortFrom(q.Dst, port), q.InIface)
	for i, o := range res.Outcomes {
		if len(res.Outcomes) > 1 {
			fmt.Fprintf(w, "outcome %d of %d, %s\n", i+1, len(res.Outcomes), outcomeTitle(o))
		}
		for n, s := range o.Path {
			fmt.Fprintf(w, "  %2d. %-11s %-32s %s\n", n+1, s.Hook, ruleWhere(s.Origin), actionIn(s.Action, q.Family))
			if s.Origin.Text != "" {
				fmt.Fprintf(w, "      %s\n", s.Origin.Text)
			}
		}
		fmt.Fprintf(w, "  => %s, decided by %s\n", verdictIn(o.Verdict, q.Family), ruleCell(o.Decider))
		writeReply(w, "a listening service's answer", o.Answer, q.Family)
		writeReply(w, "the host's refusal", o.Refusal, q.Family)
	}
	if len(res.Undecided) > 0 {
		fmt.Fprintf(w, "undecided: %s\n", strings.Join(res.Undecided, "; "))
	}
	if nd != nil {
		fmt.Fprintf(w, "neighbour discovery: %s\n", neighborLine(nd))
	}
}

// defaultSport is the default probe's source port; 0 when the result
// has no outcome.
func defaultSport(res rules.Result) uint16 {
	if len(res.Outcomes) == 0 {
		return 0
	}
	return res.Default().Sport
}

// sourceText is the packet's source address and port. Port 0 stands for
// any source port (a walk that never picked one), which ":0" would
// misread as a real port.
func sourceText(src netip.Addr, sport uint16) string {
	if sport == 0 {
		return src.String() + " (any source port)"
	}
	return netip.AddrPortFrom(src, sport).String()
}

// verdictIn spells a verdict the evaluator met for a packet of family f:
// a reject in that family's terms (report.RejectName), anything else as
// the model spells it.
func verdictIn(v rules.Verdict, f rules.Family) string {
	if v.Kind == rules.Reject {
		return report.VerdictWord(v, f)
	}
	return v.String()
}

// actionIn spells a step's action ("reject:icmp-port-unreachable") as
// verdictIn does.
func actionIn(action string, f rules.Family) string {
	if with, ok := strings.CutPrefix(action, "reject:"); ok {
		return "reject:" + report.RejectName(with, f)
	}
	return action
}

// outcomeTitle says which probe an outcome is: the default one, or one
// the sender's choices lead to, under which unknowns.
func outcomeTitle(o rules.Outcome) string {
	s := "the default probe"
	if c := o.Conditions(); len(c) > 0 {
		s = "a probe " + strings.Join(c, " and ")
	}
	var as []string
	for _, a := range o.Unknowns() {
		if a.Holds {
			as = append(as, a.Match)
		} else {
			as = append(as, "not "+a.Match)
		}
	}
	if len(as) > 0 {
		s += ", assuming " + strings.Join(as, ", ")
	}
	return s
}

// writeReply says what happens to one of the host's replies on its way
// out, which decides what a prober sees.
func writeReply(w io.Writer, what string, r *rules.Reply, f rules.Family) {
	if r == nil {
		return
	}
	certain := ""
	if !r.Certain {
		certain = " (undecided: " + strings.Join(r.Undecided, "; ") + ")"
	}
	for _, a := range r.Otherwise {
		certain += " (otherwise if " + a.If + ")"
	}
	fmt.Fprintf(w, "     %s: %s by %s%s\n", what, verdictIn(r.Verdict, f), ruleCell(r.Decider), certain)
}

// ruleWhere names a rule with its family; nft's names carry it already.
func ruleWhere(o rules.Origin) string {
	if o.Backend == rules.BackendNft || o.Family == "" {
		return o.String()
	}
	return string(o.Family) + " " + o.String()
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
