package rules

import (
	"bytes"
	"net/netip"
)

// outsiders are candidate source addresses for a packet "from anywhere":
// documentation addresses first, which real rulesets almost never name.
var outsiders = map[Family][]netip.Addr{
	FamilyIPv4: addrs("203.0.113.77", "198.51.100.77", "192.0.2.77", "100.64.77.77", "11.77.77.77", "77.77.77.77"),
	FamilyIPv6: addrs("2001:db8:ffff::77", "2001:db8:77::77", "3fff:77::77", "2a0f:77::77"),
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// Outsider returns a source address of family f that lies outside every
// source prefix the rules name (a whole-space prefix aside), so that a
// prediction speaks for an arbitrary host. When every candidate is named,
// it returns the one named least.
func (rs *Ruleset) Outsider(f Family) netip.Addr {
	named := rs.sourceIntervals(f)
	best, bestHits := netip.Addr{}, -1
	for _, a := range outsiders[f] {
		hits := 0
		for _, iv := range named {
			if iv.Contains(AddrKey(a)) {
				hits++
			}
		}
		if bestHits < 0 || hits < bestHits {
			best, bestHits = a, hits
		}
	}
	return best
}

func (rs *Ruleset) sourceIntervals(f Family) []Interval {
	var out []Interval
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				out = appendSourceIntervals(out, r.Matches)
			}
		}
	}
	return out
}

func appendSourceIntervals(out []Interval, ms []Match) []Interval {
	for _, m := range ms {
		for i, fld := range m.Fields {
			if fld != FieldSaddr {
				continue
			}
			for _, e := range m.Elems {
				if i < len(e) && !wholeSpace(e[i]) {
					out = append(out, e[i])
				}
			}
		}
	}
	return out
}

func wholeSpace(iv Interval) bool {
	return len(bytes.Trim(iv.Lo, "\x00")) == 0 && len(bytes.Trim(iv.Hi, "\xff")) == 0
}
