package nft

import (
	"fmt"

	"github.com/perimeter-dev/perimeter/rules"
)

// finishTable labels the table's backend, says whether iptables-nft can
// show it, and adds the notes of what was met. xt says whether the table
// holds iptables extensions; compat says, per rule, whether iptables-nft
// can read it (nil when not known: then xt decides).
func finishTable(t *irTable, xt bool, compat []bool) {
	looks := iptablesLayout(t)
	readable := compat != nil
	for _, ok := range compat {
		readable = readable && ok
	}
	t.iptShows = looks && (readable || compat == nil && xt)
	switch {
	case xt || t.iptShows:
		t.backend = rules.BackendIptablesNft
	default:
		t.backend = rules.BackendNft
	}
	for _, c := range t.chains {
		if c.noDevice {
			t.notes = append(t.notes, fmt.Sprintf("nft chain %s %s %s: the JSON names no device (nft 1.0.6 leaves it out), so whether it sees a packet is undecided",
				familyName(t.family), t.name, c.name))
		}
	}
	switch {
	case t.family == rules.FamilyBridge:
		t.notes = append(t.notes, fmt.Sprintf("nft table bridge %s filters bridged traffic, which the prediction leaves out", t.name))
	case xt && !t.iptShows:
		t.notes = append(t.notes, fmt.Sprintf("table %s %s mixes iptables-nft rules with native ones iptables cannot show: read here", familyName(t.family), t.name))
	}
}

// iptablesLayout reports whether a table is laid out as iptables-nft
// makes them: an iptables table of family ip or ip6 whose base chains are
// its built-in chains at iptables' priorities. It tells iptables-nft's
// tables from native ones along with the rules' expressions: one holding
// xt extensions is iptables-nft's, as nft itself decides; one without is
// when every rule uses only what iptables-nft writes.
func iptablesLayout(t *irTable) bool {
	builtin, ok := rules.IptablesBuiltins[t.name]
	if !ok || t.family != rules.FamilyIPv4 && t.family != rules.FamilyIPv6 {
		return false
	}
	for _, c := range t.chains {
		if bi, ok := builtin[c.name]; c.base && (!ok || bi.Priority != c.prio) {
			return false
		}
	}
	return true
}
