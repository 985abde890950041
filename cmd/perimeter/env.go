package main

import (
	"fmt"
	"maps"
	"net/netip"
	"strings"

	"github.com/perimeter-dev/perimeter/exposure/hostinfo"
	"github.com/perimeter-dev/perimeter/rules"
)

// packetOptions say where the predicted packets come from and go to.
type packetOptions struct {
	inIface    string
	sources    []string
	dests      []string
	sourcePort uint16
	forwarding string
	families   []string
	protocols  []string
}

// setting is the queries and the environment they are predicted in, with
// notes on what was picked for the user.
type setting struct {
	queries []rules.Query
	env     *rules.Env
	notes   []string
}

// fileSetting is the setting for rule files: nothing comes from the
// machine running perimeter. What the user does not give is what no rule
// names: an interface, a destination, a source.
func (o *packetOptions) fileSetting(rs *rules.Ruleset) (*setting, error) {
	s := &setting{}
	iface := o.inIface
	if iface == "" {
		iface = rs.UnnamedIface()
		s.notes = append(s.notes, fmt.Sprintf("packets arrive on %s, an interface no rule names (give --in-interface)", iface))
	}
	for _, f := range o.describedFamilies(rs, s) {
		q, err := o.query(rs, f, iface)
		if err != nil {
			return nil, err
		}
		if !q.Dst.IsValid() {
			q.Dst = rs.Insider(f)
			s.notes = append(s.notes, fmt.Sprintf("%s: the host's address is taken to be %s, which no rule names (give --destination)", f, q.Dst))
		}
		s.queries = append(s.queries, o.perProtocol(q)...)
	}
	fwd := o.forwarding != "off"
	s.env = rules.NeutralEnv(rs, s.queries, fwd, fwd)
	if o.forwarding == "auto" {
		s.env.Assumed = append(s.env.Assumed, "forwarding assumed on (give --forwarding off if the host does not forward)")
	}
	return s, nil
}

// liveSetting is the setting of the live host: its interfaces, addresses,
// routes and sysctls.
func (o *packetOptions) liveSetting(rs *rules.Ruleset, h *hostinfo.Host) (*setting, error) {
	if o.inIface != "" && !h.HasLink(o.inIface) {
		return nil, badInput("--in-interface %q: this host has no such interface (it has %s)", o.inIface, strings.Join(h.Links, ", "))
	}
	s := &setting{}
	for _, f := range o.describedFamilies(rs, s) {
		iface, ok := o.liveIface(h, f, s)
		if !ok {
			continue
		}
		q, err := o.query(rs, f, iface)
		if err != nil {
			return nil, err
		}
		if !q.Dst.IsValid() {
			q.Dst, _ = h.FirstAddr(iface, f == rules.FamilyIPv6)
		}
		if !q.Dst.IsValid() {
			s.notes = append(s.notes, fmt.Sprintf("%s skipped: interface %s has no %s address (give --destination)", f, iface, familyWord(f)))
			continue
		}
		s.queries = append(s.queries, o.perProtocol(q)...)
	}
	s.env = o.hostEnv(h, s.queries)
	return s, nil
}

// liveIface is where packets of family f arrive: --in-interface, the
// default route's interface, or else the first with an address of f, said
// so.
func (o *packetOptions) liveIface(h *hostinfo.Host, f rules.Family, s *setting) (string, bool) {
	v6 := f == rules.FamilyIPv6
	switch {
	case o.inIface != "":
		return o.inIface, true
	case h.DefaultIface(v6) != "":
		return h.DefaultIface(v6), true
	}
	iface := h.OutsideIface(v6)
	if iface == "" {
		s.notes = append(s.notes, fmt.Sprintf("%s skipped: no interface has an %s address (give --in-interface and --destination)", f, familyWord(f)))
		return "", false
	}
	s.notes = append(s.notes, fmt.Sprintf("%s: no default route; packets taken to arrive on %s, the first interface with an %s address (give --in-interface)", f, iface, familyWord(f)))
	return iface, true
}

// describedFamilies are the families asked for that the input describes.
func (o *packetOptions) describedFamilies(rs *rules.Ruleset, s *setting) []rules.Family {
	var out []rules.Family
	for _, name := range o.families {
		f := rules.Family(name)
		if rs.Describes(f) {
			out = append(out, f)
			continue
		}
		s.notes = append(s.notes, fmt.Sprintf("%s not predicted: the rules read describe %s only", f, joinFamilies(rs.Families)))
	}
	return out
}

// familyWord is a family as prose spells it: IPv4, IPv6.
func familyWord(f rules.Family) string {
	return map[rules.Family]string{rules.FamilyIPv4: "IPv4", rules.FamilyIPv6: "IPv6"}[f]
}

func joinFamilies(fs []rules.Family) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, " and ")
}

// query builds the query of family f on iface, with the given or default
// source and destination; a live destination may be left zero.
func (o *packetOptions) query(rs *rules.Ruleset, f rules.Family, iface string) (rules.Query, error) {
	q := rules.Query{Family: f, InIface: iface, Sport: o.sourcePort}
	var err error
	if q.Src, err = pickAddr(o.sources, f, "--source"); err != nil {
		return q, err
	}
	if q.Dst, err = pickAddr(o.dests, f, "--destination"); err != nil {
		return q, err
	}
	if !q.Src.IsValid() {
		q.Src = rs.Outsider(f)
	}
	return q, nil
}

// perProtocol is q once per protocol asked for.
func (o *packetOptions) perProtocol(q rules.Query) []rules.Query {
	var out []rules.Query
	for _, p := range o.protocols {
		q.Proto, _ = rules.ParseProto(p)
		out = append(out, q)
	}
	return out
}

// hostEnv turns the host's addressing into what the evaluator needs. The
// queries' destinations are the host's by definition: a --destination the
// user names is local.
func (o *packetOptions) hostEnv(h *hostinfo.Host, qs []rules.Query) *rules.Env {
	env := &rules.Env{From: "live host", Local: h.Local(), Broadcast: h.Broadcast, IfaceAddrs: maps.Clone(h.Addrs),
		ForwardV4: h.ForwardV4, ForwardV6: h.ForwardV6, RoutesComplete: true, Routes: []rules.Route{},
		RPFilter: map[string]uint8{}, RouteLocalnet: map[string]bool{}}
	if env.IfaceAddrs == nil {
		env.IfaceAddrs = map[string][]netip.Addr{}
	}
	if o.forwarding != "auto" {
		env.ForwardV4, env.ForwardV6 = o.forwarding == "on", o.forwarding == "on"
	}
	for _, r := range h.Routes {
		env.Routes = append(env.Routes, rules.Route{Dst: r.Dst, Iface: r.Iface})
	}
	addConf(env, h, o.forwarding == "auto")
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

// pickAddr returns the address of family f among the values of a
// repeatable flag, or the zero address when none is of that family. Two of
// one family are bad usage.
func pickAddr(values []string, f rules.Family, flag string) (netip.Addr, error) {
	var found netip.Addr
	for _, s := range values {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return a, badInput("%s %q: not an IP address", flag, s)
		}
		a = a.Unmap()
		if a.Is6() != (f == rules.FamilyIPv6) {
			continue
		}
		if found.IsValid() {
			return a, badInput("%s given twice for %s (%s and %s): give one per family", flag, f, found, a)
		}
		found = a
	}
	return found, nil
}
