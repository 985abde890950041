package rules

import (
	"net/netip"
	"testing"
)

func TestOutsider(t *testing.T) {
	named := func(p string) *Rule {
		return rule("-s "+p, v(Accept), NewMatch(FieldSaddr, false, "-s "+p, PrefixInterval(netip.MustParsePrefix(p))))
	}
	rs := &Ruleset{Tables: []*Table{table(FamilyIPv4, "filter",
		base("INPUT", HookInput, 0, Drop, named("203.0.113.0/24"), named("0.0.0.0/0")))}}
	if got := rs.Outsider(FamilyIPv4); got != netip.MustParseAddr("198.51.100.77") {
		t.Errorf("got %v, want the first candidate no rule names", got)
	}
	if got := rs.Outsider(FamilyIPv6); !got.Is6() {
		t.Errorf("ipv6: got %v", got)
	}
}
