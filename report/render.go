package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/perimeter-dev/perimeter/rules"
)

// WritePredictionsJSON writes {"predictions": [...], "notes": [...]}.
func WritePredictionsJSON(w io.Writer, sets []PredictionSet, notes []string) error {
	doc := struct {
		Predictions []Prediction `json:"predictions"`
		Notes       []string     `json:"notes"`
	}{Flatten(sets), notes}
	if doc.Notes == nil {
		doc.Notes = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WritePredictionsTable writes one row per port range, then the notes.
func WritePredictionsTable(w io.Writer, sets []PredictionSet, notes []string) error {
	for _, s := range sets {
		q := s.Query
		fmt.Fprintf(w, "%s %s from %s via %s to %s\n", q.Family, ProtoName(q.Proto), q.Src, q.InIface, q.Dst)
		t := newTable(w, "PORTS", "VERDICT", "SEEN", "LOG", "DECIDED BY", "CERTAIN")
		for _, p := range Flatten([]PredictionSet{s}) {
			if err := t.Append(ports(p), verdictCell(p), seenCell(p), logCell(p), ruleCell(p.Rule), certainCell(p)); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func newTable(w io.Writer, header ...any) *tablewriter.Table {
	t := tablewriter.NewTable(w, tablewriter.WithRowAutoWrap(tw.WrapNone), tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header(header...)
	return t
}

func ports(p Prediction) string {
	if p.FromPort == p.ToPort {
		return fmt.Sprint(p.FromPort)
	}
	return fmt.Sprintf("%d-%d", p.FromPort, p.ToPort)
}

func verdictCell(p Prediction) string {
	v := p.Verdict
	if p.RejectWith != "" {
		v += ":" + p.RejectWith
	}
	if !p.Certain {
		v = strings.Join(p.Possible, "|")
	}
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
func seenCell(p Prediction) string {
	if p.SeenListening == p.SeenNotListening {
		return p.SeenListening
	}
	return p.SeenListening + "/" + p.SeenNotListening
}

func logCell(p Prediction) string {
	var parts []string
	for _, l := range p.Log {
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

func certainCell(p Prediction) string {
	if p.Certain {
		return "yes"
	}
	return "no, depends on " + strings.Join(p.Undecided, "; ")
}

// WriteExplain prints every step of one packet's way, outcome by outcome.
func WriteExplain(w io.Writer, q rules.Query, port uint16, res rules.Result) {
	fmt.Fprintf(w, "%s %s %s → %s via %s\n", q.Family, ProtoName(q.Proto),
		netip.AddrPortFrom(q.Src, q.Sport), netip.AddrPortFrom(q.Dst, port), q.InIface)
	for i, o := range res.Outcomes {
		if len(res.Outcomes) > 1 {
			fmt.Fprintf(w, "outcome %d of %d, assuming %s\n", i+1, len(res.Outcomes), assumptions(o.Assumed))
		}
		for n, s := range o.Path {
			fmt.Fprintf(w, "  %2d. %-11s %-32s %s\n", n+1, s.Hook, ruleWhere(s.Origin), s.Action)
			if s.Origin.Text != "" {
				fmt.Fprintf(w, "      %s\n", s.Origin.Text)
			}
		}
		fmt.Fprintf(w, "  => %s, decided by %s\n", o.Verdict, ruleCell(o.Decider))
		writeReply(w, "neighbour discovery", o.Neighbor)
		writeReply(w, "a listening service's answer", o.Answer)
		writeReply(w, "the host's refusal", o.Refusal)
	}
	if len(res.Undecided) > 0 {
		fmt.Fprintf(w, "undecided: %s\n", strings.Join(res.Undecided, "; "))
	}
}

// writeReply says what happens to one of the host's replies on its way
// out, which decides what a prober sees.
func writeReply(w io.Writer, what string, r *rules.Reply) {
	if r == nil {
		return
	}
	certain := ""
	if !r.Certain {
		certain = " (undecided: " + strings.Join(r.Undecided, "; ") + ")"
	}
	fmt.Fprintf(w, "     %s: %s by %s%s\n", what, r.Verdict, ruleCell(r.Decider), certain)
}

func ruleWhere(o rules.Origin) string {
	return strings.TrimSpace(fmt.Sprintf("%s %s", o.Family, o.String()))
}

func assumptions(as []rules.Assumption) string {
	var parts []string
	for _, a := range as {
		if a.Holds {
			parts = append(parts, a.Match)
		} else {
			parts = append(parts, "not "+a.Match)
		}
	}
	return strings.Join(parts, ", ")
}
