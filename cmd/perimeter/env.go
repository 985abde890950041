package main

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/exposure/hostinfo"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
)

// packetOptions say where the predicted packets come from and go to.
type packetOptions struct {
	inIface    string
	sources    []string
	dests      []string
	sourcePort string
	forwarding string
	families   []string
	protocols  []string
}

func addPacketFlags(cmd *cobra.Command, o *packetOptions, sourceHelp string) {
	f := cmd.Flags()
	f.StringVar(&o.inIface, "in-interface", "", "interface packets arrive on (default: live, the default route's; files, one no rule names)")
	f.StringArrayVar(&o.sources, "source", nil, sourceHelp)
	f.StringArrayVar(&o.dests, "destination", nil, "the host's address the packets go to, one per family (default: live, the interface's first address; files, one no rule names)")
	f.StringVar(&o.sourcePort, "source-port", "", "source port of every packet (default: the sender's pick: an ephemeral port, other ports shown as outcomes of their own)")
	f.StringVar(&o.forwarding, "forwarding", "auto", "whether the host forwards (decides the fate of DNATed packets): auto (live: the host's sysctls; files: on), on, off")
	f.StringSliceVar(&o.families, "family", []string{"ipv4", "ipv6"}, "families to predict: ipv4, ipv6")
	f.StringSliceVar(&o.protocols, "protocol", []string{"tcp", "udp"}, "protocols to predict: tcp, udp")
}

// packets checks the flags and turns them into report.Packets; sources
// may hold more than one address of a family when manySources is set.
func (o *packetOptions) packets(manySources bool) (report.Packets, error) {
	p := report.Packets{Forwarding: o.forwarding}
	if !slices.Contains([]string{"auto", "on", "off"}, o.forwarding) {
		return p, badInput("--forwarding %q: want auto, on or off", o.forwarding)
	}
	var err error
	if p.Families, err = parseFamilies(o.families); err != nil {
		return p, err
	}
	if p.Protocols, err = parseProtocols(o.protocols); err != nil {
		return p, err
	}
	if p.SourcePort, err = parsePort("--source-port", o.sourcePort); err != nil {
		return p, err
	}
	if p.Sources, err = parseAddrs("--source", o.sources, manySources); err != nil {
		return p, err
	}
	if p.Dests, err = parseAddrs("--destination", o.dests, false); err != nil {
		return p, err
	}
	if o.inIface != "" {
		p.Ifaces = []string{o.inIface}
	}
	return p, nil
}

func parseFamilies(names []string) ([]rules.Family, error) {
	var out []rules.Family
	for _, f := range names {
		if f != "ipv4" && f != "ipv6" {
			return nil, badInput("--family %q: want ipv4 or ipv6", f)
		}
		out = append(out, rules.Family(f))
	}
	return out, nil
}

func parseProtocols(names []string) ([]uint8, error) {
	var out []uint8
	for _, p := range names {
		if p != "tcp" && p != "udp" {
			return nil, badInput("--protocol %q: want tcp or udp", p)
		}
		n, _ := rules.ParseProto(p)
		out = append(out, n)
	}
	return out, nil
}

// parsePort reads a port flag; "" is port 0, the default.
func parsePort(flag, s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, badInput("%s %q: want a port from 1 to 65535", flag, s)
	}
	return uint16(n), nil
}

// parseAddrs reads the addresses of a repeatable flag; unless many is
// set, two of one family are bad usage.
func parseAddrs(flag string, values []string, many bool) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range values {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, badInput("%s %q: not an IP address", flag, s)
		}
		a = a.Unmap()
		if i := slices.IndexFunc(out, func(b netip.Addr) bool { return b.Is6() == a.Is6() }); i >= 0 && !many {
			return nil, badInput("%s given twice for %s (%s and %s): give one per family", flag, familyOf(a), out[i], a)
		}
		out = append(out, a)
	}
	return out, nil
}

func familyOf(a netip.Addr) rules.Family {
	if a.Is6() {
		return rules.FamilyIPv6
	}
	return rules.FamilyIPv4
}

// setting is the file setting for rule files, else the live host's,
// which it reads.
func setting(p report.Packets, rs *rules.Ruleset, fromFiles bool) (*report.Setting, *hostinfo.Host, error) {
	if fromFiles {
		return p.FileSetting(rs), nil, nil
	}
	host, err := hostinfo.Read()
	if err != nil {
		return nil, nil, hostError{fmt.Errorf("read host addresses: %w", err)}
	}
	if err := checkIfaces(p, host); err != nil {
		return nil, nil, err
	}
	return p.LiveSetting(rs, host), host, nil
}

// checkIfaces: live, an interface the host does not have is bad input,
// not an empty prediction.
func checkIfaces(p report.Packets, h *hostinfo.Host) error {
	for _, iface := range p.Ifaces {
		if !h.HasLink(iface) {
			return badInput("--in-interface %q: this host has no such interface (it has %s)", iface, strings.Join(h.Links, ", "))
		}
	}
	return nil
}
