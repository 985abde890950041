package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// Finding is one thing the audit found, with the evidence and a one-line
// fix. IDs never change meaning (the README documents each).
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Evidence Evidence `json:"evidence"`
	Fix      string   `json:"fix"`
}

// Evidence is what a finding rests on.
type Evidence struct {
	Protocol string         `json:"protocol,omitempty"`
	Ports    string         `json:"ports,omitempty"`
	Families []rules.Family `json:"families,omitempty"`
	Ifaces   []string       `json:"interfaces,omitempty"`
	Rules    []rules.Origin `json:"rules,omitempty"`
	Sockets  []Listener     `json:"sockets,omitempty"`
	Vantage  string         `json:"vantage,omitempty"`
	// Details are further facts, one sentence each.
	Details []string `json:"details,omitempty"`
}

// Kind is one entry of the findings catalogue.
type Kind struct {
	ID       string
	Severity Severity // the usual severity; some findings raise or lower it
	Summary  string   // what it means, for the README
	Fix      string
}

// The findings catalogue. IDs are stable; the README documents each.
var Catalogue = []Kind{
	{"exposed-service", High, "A listening service is reachable from outside. The severity follows what the service is (databases, caches, remote shells, container APIs, ...) and drops one step when it is bound to one address rather than every address.", "Bind the service to the addresses that need it, or accept its port only from the sources that need it."},
	{"backdoor-port", High, "Something listens, or a probe saw a port open, on a port long used by trojans and backdoors.", "Find the process that holds the port and remove it unless it is known and wanted."},
	{"default-accept", High, "The input path accepts what no rule names: the policy accepts and no final rule drops.", "Set the input policy to drop (iptables -P INPUT DROP, nft policy drop) after accepting what is needed."},
	{"family-gap", High, "A port is filtered on one family and reachable on the other: typically ip6tables or an IPv6 rule forgotten. High when something listens on the port, medium otherwise.", "Give the other family the same rule, or bind the service to one family."},
	{"forward-bypass", High, "A port is reachable through nat PREROUTING and FORWARD (a DNAT, e.g. a Docker-published port) although the input rules drop what they do not name.", "Filter the published port in the forward path (Docker: the DOCKER-USER chain), or publish it on 127.0.0.1."},
	{"source-port-bypass", High, "A sender who picks its source port (e.g. 53 or 20) reaches ports the default probe cannot. High when something listens there, medium otherwise.", "Match replies by connection state (ct state established) instead of by source port."},
	{"nd-blocked", High, "IPv6 neighbour discovery towards the host is dropped, so the host is unreachable over IPv6 from its link.", "Accept ICMPv6 neighbour solicitations and advertisements (types 135 and 136) before any drop."},
	{"prediction-mismatch", High, "A probe from a vantage outside (remote) saw a port in another state than the rules predict for its packets. The local vantage is never compared: its probes go through lo.", "Read --explain for the port: a rule perimeter misread, a ruleset changed since, or something in the path (cloud firewall, NAT) the rules do not show."},
	{"undecided-exposure", Medium, "Whether a port is reachable depends on what perimeter cannot read: an ipset without contents, marks set elsewhere, a module it does not understand. Medium when something listens there, low otherwise.", "Give the contents (--ipset) or check the named matches by hand."},
	{"mixed-backends", Medium, "Rules are loaded through both iptables-legacy and nftables (or iptables-nft): both are in the kernel's path, and each tool lists only its own.", "Move every rule to one backend (update-alternatives --set iptables /usr/sbin/iptables-nft) and flush the other."},
	{"unlogged-drop", Medium, "Ports are dropped with no LOG, NFLOG or nft log on the default probe's way: a scan there leaves no trace. Logs behind a rate limit count as logged. Low when only a sender's choice (named in the title) meets the unlogged drop.", "Add a rate-limited log rule before the drop (iptables -j LOG --log-prefix, nft log prefix ... limit rate)."},
	{"stale-allow", Low, "A rule accepts a port on which nothing listens.", "Remove the rule, or start the service it was meant for."},
	{"closed-not-stealth", Low, "Ports answer with a TCP reset or an ICMP error: the host shows it is there. Stealth (a drop) reveals nothing.", "Drop instead of reject on the input path, and drop what no rule accepts instead of letting the host refuse it."},
	{"unlogged-reject", Low, "Ports are rejected with no log on the way.", "Add a rate-limited log rule before the reject."},
	{"banner-leak", Low, "An open port's greeting discloses a product and version: what an attacker learns without trying. Info when it names the product only.", "Turn off version disclosure (ssh: DebianBanner no; nginx: server_tokens off; Apache: ServerTokens Prod)."},
}

// kind looks an ID up in the catalogue.
func kind(id string) Kind {
	i := slices.IndexFunc(Catalogue, func(k Kind) bool { return k.ID == id })
	if i < 0 {
		panic("report: finding " + id + " not in the catalogue")
	}
	return Catalogue[i]
}

// findings collects findings, merging those that differ only in the
// families, interfaces, rules or sockets they rest on.
type findings struct{ list []Finding }

func (fs *findings) add(id string, sev Severity, title string, ev Evidence) {
	for i := range fs.list {
		f := &fs.list[i]
		if f.ID == id && f.Title == title && sameEvidence(f.Evidence, ev) {
			f.Severity = max(f.Severity, sev)
			f.Evidence.Families = union(f.Evidence.Families, ev.Families)
			f.Evidence.Ifaces = union(f.Evidence.Ifaces, ev.Ifaces)
			f.Evidence.Rules = unionFunc(f.Evidence.Rules, ev.Rules, sameRule)
			f.Evidence.Sockets = unionFunc(f.Evidence.Sockets, ev.Sockets, func(a, b Listener) bool { return a.Address == b.Address })
			return
		}
	}
	fs.list = append(fs.list, Finding{ID: id, Severity: sev, Title: title, Evidence: ev, Fix: kind(id).Fix})
}

// sameEvidence: the same ports, vantage and details.
func sameEvidence(a, b Evidence) bool {
	return a.Protocol == b.Protocol && a.Ports == b.Ports && a.Vantage == b.Vantage && slices.Equal(a.Details, b.Details)
}

func sameRule(a, b rules.Origin) bool {
	return a.Family == b.Family && a.String() == b.String() && a.Text == b.Text
}

func unionFunc[T any](a, b []T, same func(T, T) bool) []T {
	for _, x := range b {
		if !slices.ContainsFunc(a, func(y T) bool { return same(x, y) }) {
			a = append(a, x)
		}
	}
	return a
}

func union[T comparable](a, b []T) []T {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// sorted is the findings by severity, highest first, then by ID, protocol
// and port.
func (fs *findings) sorted() []Finding {
	out := slices.Clone(fs.list)
	for i := range out {
		e := &out[i].Evidence
		slices.Sort(e.Families)
		slices.Sort(e.Ifaces)
		slices.SortFunc(e.Rules, func(a, b rules.Origin) int {
			return cmp.Or(cmp.Compare(a.Family, b.Family), cmp.Compare(a.String(), b.String()))
		})
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Evidence.Protocol, b.Evidence.Protocol), comparePorts(a.Evidence.Ports, b.Evidence.Ports))
	})
	return nonNilSlice(out)
}

// comparePorts orders port lists by their first port.
func comparePorts(a, b string) int {
	return cmp.Compare(firstPort(a), firstPort(b))
}

func firstPort(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func joinComma(ss []string) string { return strings.Join(ss, ", ") }

// ruleList is o as evidence.
func ruleList(o rules.Origin) []rules.Origin { return []rules.Origin{o} }
