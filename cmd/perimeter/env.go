package main

import (
	"fmt"
	"maps"
	"net/netip"

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

// hostEnv turns the host's addressing into what the evaluator needs. The
// queries' destinations are the host's by definition: a --destination the
// user names (say, for rules read from another host's files) is local.
func (o *packetOptions) hostEnv(h *hostinfo.Host, qs []rules.Query) *rules.Env {
	env := &rules.Env{Local: h.Local(), Broadcast: h.Broadcast, IfaceAddrs: maps.Clone(h.Addrs),
		ForwardV4: h.ForwardV4, ForwardV6: h.ForwardV6}
	if o.forwarding != "auto" {
		env.ForwardV4, env.ForwardV6 = o.forwarding == "on", o.forwarding == "on"
	}
	if env.IfaceAddrs == nil {
		env.IfaceAddrs = map[string][]netip.Addr{}
	}
	for _, r := range h.Routes {
		env.Routes = append(env.Routes, rules.Route{Dst: r.Dst, Iface: r.Iface})
	}
	for _, q := range qs {
		if !env.IsLocal(q.Dst) {
			env.Local = append(env.Local, q.Dst)
			env.IfaceAddrs[q.InIface] = append(env.IfaceAddrs[q.InIface], q.Dst)
		}
	}
	return env
}

// queries builds one query per family and protocol. A family for which
// no destination can be found is skipped, with a note.
func (o *packetOptions) queries(rs *rules.Ruleset, h *hostinfo.Host) ([]rules.Query, []string, error) {
	var qs []rules.Query
	var notes []string
	for _, fam := range o.families {
		f := rules.Family(fam)
		q, note, err := o.query(rs, h, f)
		if err != nil {
			return nil, nil, err
		}
		if note != "" {
			notes = append(notes, note)
			continue
		}
		for _, p := range o.protocols {
			q.Proto = protoNumber(p)
			qs = append(qs, q)
		}
	}
	return qs, notes, nil
}

func (o *packetOptions) query(rs *rules.Ruleset, h *hostinfo.Host, f rules.Family) (rules.Query, string, error) {
	v6 := f == rules.FamilyIPv6
	q := rules.Query{Family: f, InIface: o.inIface, Sport: o.sourcePort}
	if q.InIface == "" {
		q.InIface = h.OutsideIface(v6)
	}
	var err error
	if q.Src, err = pickAddr(o.sources, v6, "--source"); err != nil {
		return q, "", err
	}
	if !q.Src.IsValid() {
		q.Src = rs.Outsider(f)
	}
	if q.Dst, err = pickAddr(o.dests, v6, "--destination"); err != nil {
		return q, "", err
	}
	if q.InIface == "" {
		return q, fmt.Sprintf("%s skipped: no interface has a %s address (give --in-interface and --destination)", f, f), nil
	}
	if !q.Dst.IsValid() {
		var ok bool
		if q.Dst, ok = h.FirstAddr(q.InIface, v6); !ok {
			return q, fmt.Sprintf("%s skipped: interface %q has no %s address (give --destination)", f, q.InIface, f), nil
		}
	}
	return q, "", nil
}

// pickAddr returns the address of the wanted family among the values of a
// repeatable flag, or the zero address when none is of that family.
func pickAddr(values []string, v6 bool, flag string) (netip.Addr, error) {
	for _, s := range values {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return a, badInput("%s %q: not an IP address", flag, s)
		}
		if a.Is6() == v6 && !a.Is4In6() {
			return a, nil
		}
	}
	return netip.Addr{}, nil
}

func protoNumber(name string) uint8 {
	if name == "udp" {
		return rules.ProtoUDP
	}
	return rules.ProtoTCP
}
