package banner

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Summarize says, one line each, what the open ports and their banners
// tell an attacker: per port, the product and version a banner discloses
// (or its text, when no product is named); the OS family the banners
// state; the port sets that give a host's role away; and the ports that
// said nothing. The order is stable: those groups in that order, ports
// ascending within each.
func Summarize(open []uint16, banners []Banner) []string {
	sorted := slices.SortedStableFunc(slices.Values(banners), func(a, b Banner) int {
		return cmp.Compare(a.Port, b.Port)
	})
	var lines []string
	lines = append(lines, bannerLines(sorted)...)
	lines = append(lines, osLines(sorted)...)
	lines = append(lines, portSetLines(open)...)
	lines = append(lines, silentLines(sorted)...)
	return append(lines, failureLines(sorted)...)
}

func bannerLines(banners []Banner) []string {
	var lines []string
	for _, b := range banners {
		switch {
		case b.Product != "":
			lines = append(lines, fmt.Sprintf("tcp/%d: %s", b.Port, describe(b)))
		case b.Text != "": // quoted by hand: %q would escape Text's escapes again
			lines = append(lines, fmt.Sprintf("tcp/%d: unidentified banner \"%s\"", b.Port, b.Text))
		}
	}
	return lines
}

// describe is "OpenSSH 8.9p1 (Ubuntu), version disclosed": a version is
// what lets an attacker look up the service's known holes.
func describe(b Banner) string {
	s := b.Product
	if b.Version != "" {
		s += " " + b.Version
	}
	if b.OS != "" {
		s += " (" + b.OS + ")"
	}
	if b.Version != "" {
		s += ", version disclosed"
	}
	return s
}

// osLines names the OS family the banners state. Banners that disagree
// are shown as such rather than outvoted: a container or a forwarded port
// runs its own OS, so the host's may be either, or neither.
func osLines(banners []Banner) []string {
	ports := map[string][]uint16{}
	for _, b := range banners {
		if b.OS != "" {
			ports[b.OS] = append(ports[b.OS], b.Port)
		}
	}
	families := slices.Sorted(maps.Keys(ports))
	switch len(families) {
	case 0:
		return nil
	case 1:
		return []string{fmt.Sprintf("OS family: %s (from the banners on %s)", families[0], portList(ports[families[0]]))}
	}
	var each []string
	for _, f := range families {
		each = append(each, fmt.Sprintf("%s (%s)", f, portList(ports[f])))
	}
	return []string{"OS families differ between banners: " + strings.Join(each, ", ") +
		"; a container or a forwarded port can run another OS than the host"}
}

// portSets are sets of open ports that give a host's OS or role away by
// themselves. A single port does not: 22 open says "an SSH server" and no
// more, so only well-known sets are here.
var portSets = []struct {
	ports []uint16
	says  string
}{
	{[]uint16{135, 139, 445}, "are Windows' RPC/NetBIOS/SMB set (a Samba domain controller opens them too)"},
	{[]uint16{88, 389, 445}, "are the Kerberos/LDAP/SMB set of an Active Directory domain controller (Windows or Samba)"},
}

func portSetLines(open []uint16) []string {
	var lines []string
	for _, set := range portSets {
		if containsAll(open, set.ports) {
			lines = append(lines, fmt.Sprintf("open ports %s %s", numberList(set.ports), set.says))
		}
	}
	return lines
}

func containsAll(open, want []uint16) bool {
	for _, p := range want {
		if !slices.Contains(open, p) {
			return false
		}
	}
	return true
}

// silentLines lists, on one line, the ports that took the connection and
// said nothing, even after a newline: they give nothing away.
func silentLines(banners []Banner) []string {
	var silent []uint16
	for _, b := range banners {
		if b.Text == "" && b.Error == "" {
			silent = append(silent, b.Port)
		}
	}
	if len(silent) == 0 {
		return nil
	}
	return []string{"no banner on " + portList(silent)}
}

func failureLines(banners []Banner) []string {
	var lines []string
	for _, b := range banners {
		if b.Text == "" && b.Error != "" {
			lines = append(lines, fmt.Sprintf("tcp/%d: no banner (%s)", b.Port, b.Error))
		}
	}
	return lines
}

// portList is "tcp/22, tcp/80".
func portList(ports []uint16) string {
	var s []string
	for _, p := range ports {
		s = append(s, fmt.Sprintf("tcp/%d", p))
	}
	return strings.Join(s, ", ")
}

// numberList is "135, 139, 445".
func numberList(ports []uint16) string {
	var s []string
	for _, p := range ports {
		s = append(s, fmt.Sprint(p))
	}
	return strings.Join(s, ", ")
}
