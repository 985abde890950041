package render

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
)

// WriteAuditJSON writes the audit (schema perimeter.audit/v1).
func WriteAuditJSON(w io.Writer, a *report.Audit) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}

// WriteAuditTable writes the audit for people: the header, the exposure
// table, the findings by severity, then the rest in one line per
// protocol, what an attacker learns and the notes.
func WriteAuditTable(w io.Writer, a *report.Audit, style Style) error {
	writeHeader(w, style, a.Header)
	fmt.Fprintln(w)
	if err := writeExposure(w, style, a.Rows); err != nil {
		return err
	}
	for _, line := range a.Rest {
		writeText(w, style, "rest: ", line)
	}
	fmt.Fprintln(w)
	writeFindings(w, style, a.Findings)
	if len(a.Learned) > 0 {
		fmt.Fprintln(w, "\nwhat an attacker learns:")
		for _, l := range a.Learned {
			writeText(w, style, "  ", l)
		}
	}
	if len(a.Notes) > 0 {
		fmt.Fprintln(w)
		writeNotes(w, style, a.Notes)
	}
	return nil
}

func writeHeader(w io.Writer, style Style, h report.Header) {
	title := "perimeter audit of " + h.Host.Name
	if h.Host.Kernel != "" {
		title += " (Linux " + h.Host.Kernel + ")"
	}
	fmt.Fprintln(w, title)
	field := func(name, value string) { writeText(w, style, fmt.Sprintf("%-12s ", name+":"), value) }
	if h.RulesRead {
		field("rules", backendsLine(h.Backends))
		field("policies", policiesLine(h.Policies))
	} else {
		field("rules", "not read (see below)")
	}
	field("interfaces", ifacesLine(h.Host.Ifaces))
	field("predicted", queriesLine(h.Queries, h.RulesRead))
	field("listeners", fmt.Sprintf("%d sockets", h.Listeners))
	field("vantages", vantagesLine(h.Vantages))
	if h.Environment != nil {
		field("environment", h.Environment.Summary())
	}
	for _, u := range h.Unread {
		field("not read", u)
	}
}

func backendsLine(bs []report.BackendRules) string {
	if len(bs) == 0 {
		return "no table in any backend"
	}
	var parts []string
	for _, b := range bs {
		parts = append(parts, fmt.Sprintf("%s %d %s, %d %s", b.Backend, b.Tables, plural(b.Tables, "table"), b.Rules, plural(b.Rules, "rule")))
	}
	return strings.Join(parts, "; ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func policiesLine(ps []report.PolicyInfo) string {
	var parts []string
	for _, p := range ps {
		s := fmt.Sprintf("%s %s", ruleWhere(p.Rule), p.Verdict)
		if !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "no input chain (everything accepted)"
	}
	return strings.Join(parts, "; ")
}

func ifacesLine(ifaces map[string][]netip.Addr) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(ifaces)) {
		parts = append(parts, name+" "+joinAddrs(ifaces[name], " "))
	}
	return strings.Join(parts, "; ")
}

func queriesLine(qs []report.QueryInfo, rulesRead bool) string {
	var parts []string
	for _, q := range qs {
		parts = append(parts, fmt.Sprintf("%s from %s via %s to %s", q.Family, q.Source, q.Iface, q.Dest))
	}
	switch {
	case len(parts) > 0:
	case rulesRead:
		return "nothing (see the notes)"
	default:
		return "nothing (no rules read)"
	}
	return strings.Join(parts, "; ")
}

func vantagesLine(vs []report.VantageInfo) string {
	var parts, local []string
	for _, v := range vs {
		if v.Weak {
			local = append(local, fmt.Sprintf("%s (%s ports; %s)", v.Target, report.Thousands(v.Ports), v.Modes))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s from %s to %s (%s ports; %s)", v.Name, v.Source, v.Target, report.Thousands(v.Ports), v.Modes))
	}
	if len(local) > 0 {
		parts = append(parts, "local, the host probing itself through lo (shows what answers, not what the firewall lets in): "+strings.Join(local, ", "))
	}
	if len(parts) == 0 {
		return "none: nothing was probed"
	}
	return strings.Join(parts, "; ")
}

// writeExposure writes one row per port or range that matters.
func writeExposure(w io.Writer, style Style, rows []report.Row) error {
	if len(rows) == 0 {
		fmt.Fprintln(w, "no port is reachable, listening or named by a rule")
		return nil
	}
	t := newTable(w, style, column{header: "PORT"}, column{header: "SERVICE", wrap: true}, column{header: "REACHABLE FROM", wrap: true},
		column{header: "PROBE SAW", wrap: true}, column{header: "LOGGED", wrap: true}, column{header: "RULE", wrap: true})
	for _, r := range rows {
		t.add(r.Protocol+"/"+r.Ports(), serviceCell(r), reachCell(r.Predictions), probeCell(r.Probes), loggedCell(r.Predictions), rulesCell(r.Predictions))
	}
	return t.render()
}

func serviceCell(r report.Row) string {
	for _, p := range r.Predictions {
		if p.Forwarded && p.NAT != "" {
			return "→ " + p.NAT
		}
	}
	if len(r.Listeners) == 0 {
		if r.Service != "" {
			return "(" + r.Service + ") nothing listens"
		}
		return "-"
	}
	var names []string
	for _, l := range r.Listeners {
		n := l.Process
		if n == "" {
			n = "owner hidden"
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	s := strings.Join(names, ", ")
	if r.Service != "" && r.Service != s {
		s += " (" + r.Service + ")"
	}
	return s
}

// reachCell says, per family, whether the best-placed sender reaches the
// row, naming the interfaces when they differ.
func reachCell(ps []report.RowPrediction) string {
	var parts []string
	for _, f := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
		byExposure := map[string][]string{}
		var order []string
		for _, p := range ps {
			if p.Family != f {
				continue
			}
			if _, ok := byExposure[p.Exposure]; !ok {
				order = append(order, p.Exposure)
			}
			byExposure[p.Exposure] = appendNew(byExposure[p.Exposure], p.Iface)
		}
		for _, e := range order {
			if e == "not reachable" {
				continue
			}
			s := strings.TrimSpace(report.FamilyWord(f) + " " + strings.TrimPrefix(e, "reachable"))
			if len(order) > 1 {
				s += " (" + strings.Join(byExposure[e], ", ") + ")"
			}
			parts = append(parts, s)
		}
	}
	switch {
	case len(ps) == 0:
		return "unknown: no rules read"
	case len(parts) == 0:
		return "nowhere"
	}
	return strings.Join(parts, "; ")
}

func appendNew(ss []string, s string) []string {
	if slices.Contains(ss, s) {
		return ss
	}
	return append(ss, s)
}

// probeCell says what each vantage saw, "≠ rules" where it is not what
// the rules predict.
func probeCell(ps []report.RowProbe) string {
	if len(ps) == 0 {
		return "not probed"
	}
	var parts []string
	for _, p := range ps {
		s := p.Vantage + " " + report.FamilyWord(p.Family) + " " + countsCell(p)
		if p.Agrees != nil && !*p.Agrees {
			s += " ≠ rules"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func countsCell(p report.RowProbe) string {
	if p.Ports == 1 {
		return string(p.State)
	}
	return countsLine(p.Counts)
}

// loggedCell is the logging of the default probe, the same from every
// origin or per family.
func loggedCell(ps []report.RowPrediction) string {
	var cells []string
	for _, p := range ps {
		cells = appendNew(cells, logCell(p.Log))
	}
	if len(cells) == 1 {
		return cells[0]
	}
	var parts []string
	for _, p := range ps {
		parts = appendNew(parts, report.FamilyWord(p.Family)+" "+logCell(p.Log))
	}
	return strings.Join(parts, "; ")
}

// rulesCell names the deciding rules by where they are; --explain shows
// their text.
func rulesCell(ps []report.RowPrediction) string {
	var parts []string
	for _, p := range ps {
		parts = appendNew(parts, ruleWhere(p.Rule))
	}
	return strings.Join(parts, "; ")
}

// writeFindings writes the findings, highest severity first, each with
// its evidence and fix.
func writeFindings(w io.Writer, style Style, fs []report.Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "findings: none")
		return
	}
	fmt.Fprintf(w, "findings (%d):\n", len(fs))
	for _, f := range fs {
		sev := fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String()))
		if style.Color {
			sev = colorOf(f.Severity) + sev + "\033[0m"
		}
		writeText(w, style, sev+" ", f.ID+": "+f.Title)
		if ev := evidenceLine(f.Evidence); ev != "" {
			writeText(w, style, "         evidence: ", ev)
		}
		writeText(w, style, "         fix: ", f.Fix)
	}
}

func colorOf(s report.Severity) string {
	return map[report.Severity]string{report.Critical: "\033[1;31m", report.High: "\033[31m", report.Medium: "\033[33m",
		report.Low: "\033[36m", report.Info: "\033[2m"}[s]
}

func evidenceLine(e report.Evidence) string {
	var parts []string
	if len(e.Families) > 0 {
		var fs []string
		for _, f := range e.Families {
			fs = append(fs, report.FamilyWord(f))
		}
		parts = append(parts, strings.Join(fs, "+"))
	}
	if len(e.Ifaces) > 0 {
		parts = append(parts, "on "+strings.Join(e.Ifaces, ", "))
	}
	for _, l := range e.Sockets {
		s := "socket " + l.Address
		if l.Process != "" {
			s += " held by " + l.Process // the pid is in the JSON
		}
		parts = append(parts, s)
	}
	if len(e.Rules) > 0 {
		var rs []string
		for _, r := range e.Rules {
			rs = append(rs, ruleWhere(r))
		}
		parts = append(parts, "rule "+strings.Join(rs, ", "))
	}
	if e.Vantage != "" {
		parts = append(parts, e.Vantage+" probe")
	}
	parts = append(parts, e.Details...)
	return strings.Join(parts, "; ")
}
