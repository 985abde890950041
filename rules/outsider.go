package rules

import (
	"bytes"
	"net/netip"
	"slices"
)

// A prediction from rule files speaks for an arbitrary packet: from a
// source no rule names, to a destination no rule names, arriving on an
// interface no rule names, unless the user says otherwise. Each default
// is stated in the output.

// outsiders are candidate source addresses for a packet "from anywhere":
// documentation addresses first, which real rulesets almost never name.
var outsiders = map[Family][]netip.Addr{
	FamilyIPv4: addrs("203.0.113.77", "198.51.100.77", "192.0.2.77", "100.64.77.77", "11.77.77.77", "77.77.77.77"),
	FamilyIPv6: addrs("2001:db8:ffff::77", "2001:db8:77::77", "3fff:77::77", "2a0f:77::77"),
}

// insiders are candidate addresses of the host, for rule files.
var insiders = map[Family][]netip.Addr{
	FamilyIPv4: addrs("198.51.100.1", "192.0.2.1", "203.0.113.1", "100.64.0.1", "11.0.0.1"),
	FamilyIPv6: addrs("2001:db8:1::1", "2001:db8:2::1", "3fff:1::1", "2a0f:1::1"),
}

// ifaceNames are candidate names of the interface packets from outside
// arrive on, for rule files.
var ifaceNames = []string{"eth0", "ens3", "enp1s0", "eno1", "wan0", "net0", "uplink0"}

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
	return leastNamed(outsiders[f], rs.intervals(FieldSaddr, FieldCtOrigSaddr), AddrKey)
}

// Insider returns an address of family f for the host that no rule names
// as a destination, for rule files whose host's addresses are unknown.
func (rs *Ruleset) Insider(f Family) netip.Addr {
	return leastNamed(insiders[f], rs.intervals(FieldDaddr, FieldCtOrigDaddr), AddrKey)
}

// UnnamedIface returns an interface name no rule names (as in or out
// interface, exactly or by prefix), for rule files.
func (rs *Ruleset) UnnamedIface() string {
	return leastNamed(ifaceNames, rs.intervals(FieldIIF, FieldOIF), IfaceKey)
}

// leastNamed is the first candidate in no interval, or the one in fewest.
func leastNamed[T any](candidates []T, named []Interval, key func(T) []byte) T {
	var best T
	bestHits := -1
	for _, c := range candidates {
		hits := 0
		for _, iv := range named {
			if iv.Contains(key(c)) {
				hits++
			}
		}
		if bestHits < 0 || hits < bestHits {
			best, bestHits = c, hits
		}
	}
	return best
}

// intervals collects the values of fields that the rules name, a
// whole-space value aside.
func (rs *Ruleset) intervals(fields ...Field) []Interval {
	var out []Interval
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				out = appendIntervals(out, r.Matches, fields)
			}
		}
	}
	return out
}

func appendIntervals(out []Interval, ms []Match, fields []Field) []Interval {
	for _, m := range ms {
		for i, fld := range m.Fields {
			if !slices.Contains(fields, fld) {
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
