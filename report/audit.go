package report

import (
	"net/netip"
	"slices"

	"github.com/perimeter-dev/perimeter/exposure/banner"
	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/rules"
)

// AuditSchema names the JSON layout of an Audit.
const AuditSchema = "perimeter.audit/v1"

// Input is everything an audit joins, read by the caller: the rules and
// the setting they are predicted in, the listening sockets, the probes
// from each vantage and the banners of the open ports. A part that could
// not be read is nil, with the reason in Unread.
type Input struct {
	Host    HostFacts
	Ruleset *rules.Ruleset
	Setting *Setting
	// Sets are the predictions of Setting's queries, when the caller made
	// them already; nil makes Join predict.
	Sets      []PredictionSet
	Listeners *sockets.Listing
	Vantages  []Vantage
	Banners   []banner.Banner
	// Unread says what could not be read, and how to fix that.
	Unread []string
	Notes  []string
}

// HostFacts name the audited host.
type HostFacts struct {
	Name   string                  `json:"name"`
	Kernel string                  `json:"kernel"`
	Ifaces map[string][]netip.Addr `json:"interfaces"`
}

// Vantage is one place probes came from (DESIGN.md): local, through lo
// (weak evidence), remote (an imported `perimeter probe` report), and in
// time sandbox.
type Vantage struct {
	Name string `json:"name"`
	// Weak marks evidence that does not see what the outside sees.
	Weak   bool          `json:"weak"`
	Report *probe.Report `json:"-"`
	// Iface is where the vantage's packets arrive ("lo" for local).
	Iface string `json:"interface"`
}

// family is the family of the address the vantage probed.
func (v Vantage) family() rules.Family {
	if v.Report == nil {
		return ""
	}
	return addrFamily(v.Report.Target)
}

// The vantages.
const (
	VantageLocal  = "local"
	VantageRemote = "remote"
)

// Audit is the joined result: the header, one row per port or range that
// matters, the findings, and a summary of the rest.
type Audit struct {
	Schema   string    `json:"schema"`
	Header   Header    `json:"header"`
	Rows     []Row     `json:"rows"`
	Findings []Finding `json:"findings"`
	// Rest sums up the ports without a row, one line per protocol and
	// family.
	Rest []string `json:"rest"`
	// Learned is what an attacker learns from the open ports and their
	// banners.
	Learned []string        `json:"learned"`
	Banners []banner.Banner `json:"banners"`
	Notes   []string        `json:"notes"`

	sets []PredictionSet
}

// Worst is the highest severity among the findings, and false when there
// are none.
func (a *Audit) Worst() (Severity, bool) {
	if len(a.Findings) == 0 {
		return Info, false
	}
	worst := Info
	for _, f := range a.Findings {
		worst = max(worst, f.Severity)
	}
	return worst, true
}

// Join joins what in holds into an audit. It does no I/O: the kernel
// tests call it on what they read and probed.
func Join(in Input) *Audit {
	a := &Audit{Schema: AuditSchema, Header: header(in), Rows: []Row{}, Findings: []Finding{}, Rest: []string{},
		Learned: []string{}, Banners: nonNilSlice(in.Banners), Notes: nonNil(slices.Clone(in.Notes))}
	j := newJoin(in)
	a.sets = j.sets
	a.Rows = j.rows()
	a.Rest = j.rest(a.Rows)
	a.Findings = j.findings(a.Rows)
	a.Learned = learned(in, a.Rows)
	a.Notes = append(a.Notes, j.notes...)
	return a
}
