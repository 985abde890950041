package nft

import (
	"fmt"
	"slices"

	"github.com/perimeter-dev/perimeter/rules"
)

// iptablesNames are iptables' tables and their built-in chains.
var iptablesNames = map[string][]string{
	"filter":   {"INPUT", "FORWARD", "OUTPUT"},
	"nat":      {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	"mangle":   {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	"raw":      {"PREROUTING", "OUTPUT"},
	"security": {"INPUT", "FORWARD", "OUTPUT"},
}

// finishTable labels the table's backend and adds the notes of what was
// met. compat says, per rule, whether iptables-nft could show it (nil
// when not known).
func finishTable(t *irTable, xt bool, compat []bool) {
	t.backend = backendOf(t, xt, compat)
	for _, c := range t.chains {
		if c.noDevice {
			t.notes = append(t.notes, fmt.Sprintf("nft chain %s %s %s: the JSON names no device (nft 1.0.6 leaves it out), so whether it sees a packet is undecided",
				familyName(t.family), t.name, c.name))
		}
	}
	switch {
	case t.family == rules.FamilyBridge:
		t.notes = append(t.notes, fmt.Sprintf("nft table bridge %s filters bridged traffic, which the prediction leaves out", t.name))
	case t.backend == rules.BackendIptablesNft && xt:
		t.notes = append(t.notes, fmt.Sprintf("table %s %s was made by iptables-nft; extensions perimeter cannot decode from netlink are undecided", familyName(t.family), t.name))
	}
}

// backendOf tells an iptables-nft table from a native one, as nft does:
// one holding iptables extensions (xt expressions) is iptables-nft's.
// One without is iptables-nft's when it looks like one: an iptables table
// of family ip or ip6 whose base chains are its built-in chains, whose
// rules all use what iptables-nft writes.
func backendOf(t *irTable, xt bool, compat []bool) rules.Backend {
	if xt {
		return rules.BackendIptablesNft
	}
	builtin, ok := iptablesNames[t.name]
	if !ok || compat == nil || t.family != rules.FamilyIPv4 && t.family != rules.FamilyIPv6 {
		return rules.BackendNft
	}
	for _, c := range t.chains {
		if c.base && (!slices.Contains(builtin, c.name) || !iptablesPrio(t.name, c.prio)) {
			return rules.BackendNft
		}
	}
	for _, ok := range compat {
		if !ok {
			return rules.BackendNft
		}
	}
	return rules.BackendIptablesNft
}

// iptablesPrio reports whether p is a priority iptables gives a built-in
// chain of the table.
func iptablesPrio(table string, p int) bool {
	switch table {
	case "raw":
		return p == rules.PriorityRaw
	case "mangle":
		return p == rules.PriorityMangle
	case "nat":
		return p == rules.PriorityDstNAT || p == rules.PrioritySrcNAT
	case "security":
		return p == rules.PrioritySecurity
	}
	return p == rules.PriorityFilter
}
