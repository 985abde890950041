package report

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/exposure/hostinfo"
	"github.com/perimeter-dev/perimeter/rules"
)

// Packets say where the predicted packets come from and go to. Zero
// fields take the defaults FileSetting and LiveSetting describe.
type Packets struct {
	// Ifaces are the interfaces packets arrive on.
	Ifaces []string
	// EveryIface predicts, live, for every interface with an address
	// other than loopback, not only the default route's (the audit).
	EveryIface bool
	// Sources are the packets' sources; without one of a family, an
	// address outside every prefix the rules name.
	Sources []netip.Addr
	// AlsoOutsider keeps that outside source beside Sources.
	AlsoOutsider bool
	// Dests holds at most one address per family: the host's address
	// the packets go to.
	Dests      []netip.Addr
	SourcePort uint16
	// Forwarding is "auto" (live: the host's sysctls; files: on), "on"
	// or "off".
	Forwarding string
	Families   []rules.Family
	Protocols  []uint8
}

// Setting is the queries and the environment they are predicted in,
// with notes on what was picked for the user.
type Setting struct {
	Queries []rules.Query
	Env     *rules.Env
	Notes   []string
}

func (s *Setting) notef(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

// FileSetting is the setting for rule files: nothing comes from the
// machine running perimeter. What the user does not give is what no rule
// names: an interface, a destination, a source.
func (p Packets) FileSetting(rs *rules.Ruleset) *Setting {
	s := &Setting{}
	ifaces := p.Ifaces
	if len(ifaces) == 0 {
		ifaces = []string{rs.UnnamedIface()}
		s.notef("packets arrive on %s, an interface no rule names (give --in-interface)", ifaces[0])
	}
	for _, f := range p.describedFamilies(rs, s) {
		dst := p.dest(f)
		if !dst.IsValid() {
			dst = rs.Insider(f)
			s.notef("%s: the host's address is taken to be %s, which no rule names (give --destination)", f, dst)
		}
		for _, iface := range ifaces {
			s.Queries = append(s.Queries, p.queries(rs, f, iface, dst)...)
		}
	}
	fwd := p.Forwarding != "off"
	s.Env = rules.NeutralEnv(rs, s.Queries, fwd, fwd)
	if p.Forwarding == "auto" || p.Forwarding == "" {
		s.Env.Assumed = append(s.Env.Assumed, "forwarding assumed on (give --forwarding off if the host does not forward)")
	}
	return s
}

// LiveSetting is the setting of the live host h: its interfaces,
// addresses, routes and sysctls. Packets arrive on Ifaces, else on every
// interface with an address (EveryIface), else on the default route's
// interface.
func (p Packets) LiveSetting(rs *rules.Ruleset, h *hostinfo.Host) *Setting {
	s := &Setting{}
	for _, f := range p.describedFamilies(rs, s) {
		for _, iface := range p.liveIfaces(h, f, s) {
			dst := p.dest(f)
			if !dst.IsValid() {
				dst, _ = h.FirstAddr(iface, f == rules.FamilyIPv6)
			}
			if !dst.IsValid() {
				s.notef("%s skipped on %s: it has no %s address (give --destination)", f, iface, FamilyWord(f))
				continue
			}
			s.Queries = append(s.Queries, p.queries(rs, f, iface, dst)...)
		}
	}
	s.Env = p.hostEnv(h, s.Queries)
	return s
}

// liveIfaces are where packets of family f arrive: Ifaces, every
// interface with an address of f, or the default route's interface (else
// the first with an address of f, said so).
func (p Packets) liveIfaces(h *hostinfo.Host, f rules.Family, s *Setting) []string {
	v6 := f == rules.FamilyIPv6
	switch {
	case len(p.Ifaces) > 0:
		return p.Ifaces
	case p.EveryIface:
		if ifaces := defaultFirst(h.OutsideIfaces(v6), h.DefaultIface(v6)); len(ifaces) > 0 {
			return ifaces
		}
	case h.DefaultIface(v6) != "":
		return []string{h.DefaultIface(v6)}
	}
	iface := h.OutsideIface(v6)
	if iface == "" {
		s.notef("%s skipped: no interface has an %s address (give --in-interface and --destination)", f, FamilyWord(f))
		return nil
	}
	s.notef("%s: no default route; packets taken to arrive on %s, the first interface with an %s address (give --in-interface)", f, iface, FamilyWord(f))
	return []string{iface}
}

// defaultFirst moves the default route's interface to the front: the
// first query of a family is where the outside most likely comes from.
func defaultFirst(ifaces []string, dflt string) []string {
	if i := slices.Index(ifaces, dflt); i > 0 {
		ifaces = append(append([]string{dflt}, ifaces[:i]...), ifaces[i+1:]...)
	}
	return ifaces
}

// describedFamilies are the families asked for that the input describes.
func (p Packets) describedFamilies(rs *rules.Ruleset, s *Setting) []rules.Family {
	var out []rules.Family
	for _, f := range p.families() {
		if rs.Describes(f) {
			out = append(out, f)
			continue
		}
		s.notef("%s not predicted: the rules read describe %s only", f, joinFamilies(rs.Families))
	}
	return out
}

func (p Packets) families() []rules.Family {
	if len(p.Families) == 0 {
		return []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6}
	}
	return p.Families
}

// FamilyWord is a family as prose spells it: IPv4, IPv6.
func FamilyWord(f rules.Family) string {
	return map[rules.Family]string{rules.FamilyIPv4: "IPv4", rules.FamilyIPv6: "IPv6"}[f]
}

func joinFamilies(fs []rules.Family) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, " and ")
}

// dest is the given destination of family f, or the zero address.
func (p Packets) dest(f rules.Family) netip.Addr {
	if ds := ofFamily(p.Dests, f); len(ds) > 0 {
		return ds[0]
	}
	return netip.Addr{}
}

// ofFamily are the addresses of family f.
func ofFamily(addrs []netip.Addr, f rules.Family) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		if addrFamily(a) == f {
			out = append(out, a)
		}
	}
	return out
}

// sources are the packets' sources of family f.
func (p Packets) sources(rs *rules.Ruleset, f rules.Family) []netip.Addr {
	out := ofFamily(p.Sources, f)
	if len(out) == 0 || p.AlsoOutsider {
		out = append([]netip.Addr{rs.Outsider(f)}, out...)
	}
	return out
}

// queries are the queries of family f on iface to dst: one per source
// and protocol.
func (p Packets) queries(rs *rules.Ruleset, f rules.Family, iface string, dst netip.Addr) []rules.Query {
	protos := p.Protocols
	if len(protos) == 0 {
		protos = []uint8{rules.ProtoTCP, rules.ProtoUDP}
	}
	var out []rules.Query
	for _, src := range p.sources(rs, f) {
		for _, proto := range protos {
			out = append(out, rules.Query{Family: f, Proto: proto, Src: src, Dst: dst, Sport: p.SourcePort, InIface: iface})
		}
	}
	return out
}

// hostEnv turns the host's addressing into what the evaluator needs. The
// queries' destinations are the host's by definition: a destination the
// user names is local.
func (p Packets) hostEnv(h *hostinfo.Host, qs []rules.Query) *rules.Env {
	env := &rules.Env{From: "live host", Local: h.Local(), Broadcast: h.Broadcast, IfaceAddrs: maps.Clone(h.Addrs),
		ForwardV4: h.ForwardV4, ForwardV6: h.ForwardV6, RoutesComplete: true, Routes: []rules.Route{},
		RPFilter: map[string]uint8{}, RouteLocalnet: map[string]bool{}}
	if env.IfaceAddrs == nil {
		env.IfaceAddrs = map[string][]netip.Addr{}
	}
	auto := p.Forwarding == "auto" || p.Forwarding == ""
	if !auto {
		env.ForwardV4, env.ForwardV6 = p.Forwarding == "on", p.Forwarding == "on"
	}
	for _, r := range h.Routes {
		env.Routes = append(env.Routes, rules.Route{Dst: r.Dst, Iface: r.Iface})
	}
	addConf(env, h, auto)
	for _, q := range qs {
		if !env.IsLocal(q.Dst) {
			env.Local = append(env.Local, q.Dst)
			env.IfaceAddrs[q.InIface] = append(env.IfaceAddrs[q.InIface], q.Dst)
			env.Assumed = append(env.Assumed, fmt.Sprintf("%s taken as the host's address on %s (--destination)", q.Dst, q.InIface))
		}
	}
	return env
}

// addConf adds the per-interface IPv4 sysctls: rp_filter is the larger
// of "all" and the interface's, route_localnet and src_valid_mark count
// if either is on, and an interface's own forwarding off keeps IPv4 from
// being forwarded from it.
func addConf(env *rules.Env, h *hostinfo.Host, perIfaceForwarding bool) {
	all := h.Conf["all"]
	env.SrcValidMark = all.SrcValidMark
	for _, name := range h.Links {
		c, ok := h.Conf[name]
		if !ok {
			continue
		}
		env.RPFilter[name] = max(all.RPFilter, c.RPFilter)
		env.RouteLocalnet[name] = all.RouteLocalnet || c.RouteLocalnet
		env.SrcValidMark = env.SrcValidMark || c.SrcValidMark
		if perIfaceForwarding && !c.Forwarding {
			env.NoForward4 = append(env.NoForward4, name)
		}
	}
}
