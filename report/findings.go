package report

import (
	"fmt"
	"strings"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/rules"
)

// findings runs every detector over the rows and the ruleset.
func (j *join) findings(rows []Row) []Finding {
	fs := &findings{}
	for _, detect := range []func(*findings, []Row){
		j.exposedServices, j.backdoors, j.staleAllows, j.familyGaps, j.forwardBypasses, j.rangeGroups, j.mismatches, j.quietDrops, j.defaultAccepts, j.neighborDiscovery, j.mixedBackends, j.bannerLeaks,
	} {
		detect(fs, rows)
	}
	return fs.sorted()
}

// exposedServices: a listener the default probe reaches from outside.
func (j *join) exposedServices(fs *findings, rows []Row) {
	for _, r := range rows {
		for _, p := range r.Predictions {
			if p.Reach != rules.Reachable || p.Forwarded {
				continue
			}
			for _, s := range j.socketsOn(r.Protocol, r.FromPort) {
				if !answers(s, p.q) {
					continue
				}
				l := listenersOf([]sockets.Socket{s})[0]
				sev, what := exposedSeverity(r.Protocol, r.FromPort, l.Process)
				if !s.Addr.IsUnspecified() {
					sev = sev.lower()
				}
				fs.add("exposed-service", sev, fmt.Sprintf("%s on %s/%d is reachable from outside", what, r.Protocol, r.FromPort),
					Evidence{Protocol: r.Protocol, Ports: r.Ports(), Families: []rules.Family{p.Family}, Ifaces: []string{p.Iface},
						Rules: ruleList(p.Rule), Sockets: []Listener{l}})
				break
			}
		}
	}
}

// exposedSeverity is how bad it is that a service is reachable, and what
// it is in words.
func exposedSeverity(proto string, port uint16, process string) (Severity, string) {
	s, ok := knownService(proto, port, process)
	switch {
	case !ok && process == "":
		return Medium, "an unknown service"
	case !ok:
		return Medium, process
	}
	what := s.Name
	if s.Kind != s.Name {
		what += ", " + s.Kind
	}
	name := process
	if name == "" {
		name = s.Name
	}
	return s.Severity, fmt.Sprintf("%s (%s)", name, what)
}

// backdoors: a listener, or an open port, where trojans listen.
func (j *join) backdoors(fs *findings, rows []Row) {
	for _, r := range rows {
		b, ok := knownBackdoor(r.Protocol, r.FromPort)
		if !ok || r.FromPort != r.ToPort {
			continue
		}
		ev := Evidence{Protocol: r.Protocol, Ports: r.Ports()}
		switch {
		case len(r.Listeners) > 0:
			ev.Sockets = r.Listeners
		case sawOpen(r) != "":
			ev.Vantage = sawOpen(r)
		default:
			continue
		}
		fs.add("backdoor-port", High, fmt.Sprintf("%s/%d is open, a port long used by %s", r.Protocol, r.FromPort, b.Name), ev)
	}
}

// sawOpen names the first vantage that saw a port of r open.
func sawOpen(r Row) string {
	for _, p := range r.Probes {
		if p.Counts[probe.Open] > 0 {
			return p.Vantage
		}
	}
	return ""
}

// staleAllows: a rule accepts a block of ports (a range, or one port of
// a set) none of which has a listener. Blocks are what one rule accepts
// without a gap; a range that holds a listener is not stale anywhere.
func (j *join) staleAllows(fs *findings, rows []Row) {
	open := map[string]*acceptBlock{}
	for _, r := range rows {
		for _, p := range r.Predictions {
			if p.Verdict != "accept" || p.Forwarded || p.Rule.Position == 0 {
				continue
			}
			key := fmt.Sprintf("%s|%s|%s|%s|%s", r.Protocol, p.Family, p.Iface, p.Rule, p.Rule.Text)
			b := open[key]
			if b != nil && int(b.to)+1 == int(r.FromPort) {
				b.to, b.listen = r.ToPort, b.listen || j.listensIn(r, p)
				continue
			}
			b.report(fs)
			open[key] = &acceptBlock{p: p, from: r.FromPort, to: r.ToPort, listen: j.listensIn(r, p)}
		}
	}
	for _, b := range open {
		b.report(fs)
	}
}

// acceptBlock is a run of ports one rule accepts.
type acceptBlock struct {
	p        RowPrediction
	from, to uint16
	listen   bool
}

func (b *acceptBlock) report(fs *findings) {
	if b == nil || b.listen || int(b.to)-int(b.from) >= 32768 {
		return
	}
	proto, ports := rules.ProtoName(b.p.q.Proto), portRange(b.from, b.to)
	fs.add("stale-allow", Low, fmt.Sprintf("%s %s accepted, but nothing listens", proto, ports),
		Evidence{Protocol: proto, Ports: ports, Families: []rules.Family{b.p.Family}, Ifaces: []string{b.p.Iface}, Rules: ruleList(b.p.Rule)})
}

func (j *join) listensIn(r Row, p RowPrediction) bool {
	return r.FromPort == r.ToPort && j.listening(p.q)(r.FromPort)
}

// familyGaps: a port reachable on one family and not on the other.
func (j *join) familyGaps(fs *findings, rows []Row) {
	for _, r := range rows {
		open, shut := reachByFamily(r.Predictions)
		for _, f := range open {
			for _, g := range shut {
				sev := Medium
				if len(r.Listeners) > 0 {
					sev = High
				}
				fs.add("family-gap", sev, fmt.Sprintf("%s %s is reachable over %s but filtered over %s", r.Protocol, r.Ports(), FamilyWord(f), FamilyWord(g)),
					Evidence{Protocol: r.Protocol, Ports: r.Ports(), Families: []rules.Family{f, g}})
			}
		}
	}
}

// reachByFamily lists the families whose every origin reaches the row,
// and those none of whose origins does.
func reachByFamily(ps []RowPrediction) (open, shut []rules.Family) {
	for _, f := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
		all, none, any := true, true, false
		for _, p := range ps {
			if p.Family != f {
				continue
			}
			any = true
			all = all && p.Reach == rules.Reachable
			none = none && p.Reach == rules.NotReachable
		}
		switch {
		case any && all:
			open = append(open, f)
		case any && none:
			shut = append(shut, f)
		}
	}
	return open, shut
}

// forwardBypasses: a DNAT forwards a port that the input rules would drop
// like the rest of the ports.
func (j *join) forwardBypasses(fs *findings, rows []Row) {
	for _, r := range rows {
		for _, p := range r.Predictions {
			if !p.Forwarded || p.Reach != rules.Reachable || !j.inputDrops(p.q) {
				continue
			}
			fs.add("forward-bypass", High, fmt.Sprintf("%s %s is forwarded to %s and reachable, although the input rules drop the other ports", r.Protocol, r.Ports(), p.NAT),
				Evidence{Protocol: r.Protocol, Ports: r.Ports(), Families: []rules.Family{p.Family}, Ifaces: []string{p.Iface}, Rules: ruleList(p.Rule)})
		}
	}
}

// inputDrops tells whether most ports of q's query are dropped or
// rejected.
func (j *join) inputDrops(q rules.Query) bool {
	p, ok := j.restOf(q)
	return ok && (p.Result.Default().Verdict.Kind == rules.Drop || p.Result.Default().Verdict.Kind == rules.Reject)
}

// restOf is the prediction of q that holds the most ports.
func (j *join) restOf(q rules.Query) (rules.PortPrediction, bool) {
	for _, s := range j.sets {
		if s.Query == q {
			return widest(s.Predictions)
		}
	}
	return rules.PortPrediction{}, false
}

func widest(ps []rules.PortPrediction) (rules.PortPrediction, bool) {
	best, ok := rules.PortPrediction{}, false
	for _, p := range ps {
		if !ok || int(p.To)-int(p.From) > int(best.To)-int(best.From) {
			best, ok = p, true
		}
	}
	return best, ok
}

// rangeFinding is a finding about port ranges an origin's rules treat
// alike: what the rules say of each range ("" for nothing), the title of
// a group of ranges, and the severity without and with a listener among
// them.
type rangeFinding struct {
	id        string
	quiet     Severity
	listening Severity
	what      func(res rules.Result) string
	title     func(ports portSet, proto, what string) string
}

// rangeFindings: the sender's choices that alone reach ports, and the
// unknowns that decide whether ports are reachable.
var rangeFindings = []rangeFinding{
	{"source-port-bypass", Medium, High,
		func(res rules.Result) string {
			if e := res.Exposure(); e.Reach == rules.ReachableIf && strings.Contains(strings.Join(e.If, " "), "source port") {
				return strings.Join(e.If, ", or ")
			}
			return ""
		},
		func(ports portSet, proto, way string) string {
			return fmt.Sprintf("%s reachable %s, though not by the default probe: %s", countPorts(ports.size(), proto), way, ports.short(4))
		}},
	{"undecided-exposure", Low, Medium,
		func(res rules.Result) string {
			if e := res.Exposure(); e.Reach == rules.ReachUnknown {
				return strings.Join(e.Unknowns, "; ")
			}
			return ""
		},
		func(ports portSet, proto, unknowns string) string {
			return fmt.Sprintf("whether %s %s reachable depends on %s", countPorts(ports.size(), proto), are(ports.size()), unknowns)
		}},
}

func are(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// rangeGroups runs every rangeFinding over every origin.
func (j *join) rangeGroups(fs *findings, _ []Row) {
	for _, s := range j.sets {
		for _, rf := range rangeFindings {
			j.rangeGroup(fs, s, rf)
		}
	}
}

// rangeGroup groups the ranges of one origin by what rf says of them and
// adds one finding per group, with the listening ports among them and the
// rule of its first range.
func (j *join) rangeGroup(fs *findings, s PredictionSet, rf rangeFinding) {
	var order []string
	ports, rule := map[string]*portSet{}, map[string]rules.Origin{}
	for _, p := range s.Predictions {
		what := rf.what(p.Result)
		if what == "" {
			continue
		}
		if ports[what] == nil {
			ports[what], rule[what], order = &portSet{}, reachingRule(p.Result), append(order, what)
		}
		ports[what].add(p.From, p.To)
	}
	proto := rules.ProtoName(s.Query.Proto)
	for _, what := range order {
		ps := *ports[what]
		sev, ev := rf.quiet, queryEvidence(s.Query, ps, rule[what])
		if listening := j.listeningIn(s.Query, ps); len(listening) > 0 {
			sev, ev.Details = rf.listening, []string{"listening: " + joinComma(listening)}
		}
		fs.add(rf.id, sev, rf.title(ps, proto, what), ev)
	}
}

// listeningIn lists the ports of ps on which a socket answers q.
func (j *join) listeningIn(q rules.Query, ps portSet) []string {
	var out []string
	for _, port := range j.listeningPorts(q) {
		if ps.contains(uint16(port)) {
			out = append(out, fmt.Sprint(port))
		}
	}
	return out
}

func queryEvidence(q rules.Query, ports portSet, rule rules.Origin) Evidence {
	return Evidence{Protocol: rules.ProtoName(q.Proto), Ports: ports.String(), Families: []rules.Family{q.Family},
		Ifaces: []string{q.InIface}, Rules: ruleList(rule)}
}

// reachingRule is the rule that decides the first outcome that accepts,
// else the default probe's.
func reachingRule(res rules.Result) rules.Origin {
	for _, o := range res.Outcomes {
		if o.Verdict.Kind == rules.Accept {
			return o.Decider
		}
	}
	return res.Default().Decider
}

// mismatches: a vantage saw what the rules did not predict.
func (j *join) mismatches(fs *findings, rows []Row) {
	for _, r := range rows {
		for _, p := range r.Probes {
			for _, m := range p.Mismatches {
				fs.add("prediction-mismatch", High, fmt.Sprintf("%s/%d: the rules predict %s, the %s probe saw %s", r.Protocol, m.Port, m.Expected, p.Vantage, m.Seen),
					Evidence{Protocol: r.Protocol, Ports: fmt.Sprint(m.Port), Vantage: p.Vantage, Rules: ruleList(m.Rule)})
			}
		}
	}
}

// neighborDiscovery: IPv6 neighbour discovery towards the host fails.
func (j *join) neighborDiscovery(fs *findings, _ []Row) {
	for _, s := range j.sets {
		nd := s.Neighbor
		if nd == nil || !nd.Blocked() {
			continue
		}
		by := nd.FromGlobal
		if by.Passes() {
			by = nd.FromLinkLocal
		}
		fs.add("nd-blocked", High, fmt.Sprintf("neighbour solicitations to %s on %s are %s: the host is unreachable over IPv6 from that link", s.Query.Dst, s.Query.InIface, by.Verdict),
			Evidence{Families: []rules.Family{rules.FamilyIPv6}, Ifaces: []string{s.Query.InIface}, Rules: ruleList(by.Decider)})
	}
}

// mixedBackends: rules in both iptables-legacy and nftables.
func (j *join) mixedBackends(fs *findings, _ []Row) {
	if j.in.Ruleset == nil {
		return
	}
	var legacy, nft int
	for _, b := range backendRules(j.in.Ruleset) {
		switch b.Backend {
		case rules.BackendIptablesLegacy:
			legacy += b.Rules
		case rules.BackendNft, rules.BackendIptablesNft:
			nft += b.Rules
		}
	}
	if legacy > 0 && nft > 0 {
		fs.add("mixed-backends", Medium, fmt.Sprintf("iptables-legacy holds %d rules and nftables %d: both filter every packet", legacy, nft), Evidence{})
	}
}

// bannerLeaks: an open port's greeting names its product and version.
func (j *join) bannerLeaks(fs *findings, _ []Row) {
	for _, b := range j.in.Banners {
		if b.Product == "" {
			continue
		}
		sev, what := Info, b.Product
		if b.Version != "" {
			sev, what = Low, b.Product+" "+b.Version
		}
		if b.OS != "" {
			what += " on " + b.OS
		}
		fs.add("banner-leak", sev, fmt.Sprintf("tcp/%d discloses %s", b.Port, what),
			Evidence{Protocol: "tcp", Ports: fmt.Sprint(b.Port), Details: []string{"banner: " + b.Text}})
	}
}
