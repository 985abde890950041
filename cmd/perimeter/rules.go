package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/exposure/hostinfo"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
)

type rulesOptions struct {
	source  sourceOptions
	packet  packetOptions
	output  string
	explain string
}

func newRulesCmd() *cobra.Command {
	o := &rulesOptions{}
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Predict, port by port, what the firewall lets in and which rule decides",
		Long: `Reads the iptables rules (both backends, IPv4 and IPv6) and the nftables
ruleset of the live host, or files, and maps every TCP and UDP destination
port to the verdict a packet from outside meets, the rule that decides it,
the log statements it passes, and what a prober would see.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runRules(cmd, o) },
	}
	addSourceFlags(cmd, &o.source)
	addPacketFlags(cmd, &o.packet)
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&o.explain, "explain", "", "print the full path of one packet, e.g. tcp/22")
	return cmd
}

func addSourceFlags(cmd *cobra.Command, o *sourceOptions) {
	f := cmd.Flags()
	f.StringArrayVar(&o.iptablesSave, "iptables-save", nil, "read IPv4 rules from an iptables-save file instead of the host (repeatable)")
	f.StringArrayVar(&o.ip6tablesSave, "ip6tables-save", nil, "read IPv6 rules from an ip6tables-save file instead of the host (repeatable)")
	f.StringArrayVar(&o.nftJSON, "nft-json", nil, "read nftables rules from `nft -j list ruleset` output instead of the host (repeatable)")
	f.StringArrayVar(&o.nftText, "nft", nil, "read nftables rules from nft text (`nft list ruleset`, nftables.conf); needs root: it is loaded into a scratch network namespace (repeatable)")
	f.StringArrayVar(&o.ipsets, "ipset", nil, "contents of ipsets, from `ipset save` (repeatable)")
}

func addPacketFlags(cmd *cobra.Command, o *packetOptions) {
	f := cmd.Flags()
	f.StringVar(&o.inIface, "in-interface", "", "interface packets arrive on (default: live, the default route's; files, one no rule names)")
	f.StringArrayVar(&o.sources, "source", nil, "source address of the packets, one per family (default: an address outside every prefix the rules name)")
	f.StringArrayVar(&o.dests, "destination", nil, "the host's address the packets go to, one per family (default: live, the interface's first address; files, one no rule names)")
	f.Uint16Var(&o.sourcePort, "source-port", 0, "source port of every packet (default: the sender's pick: an ephemeral port, other ports shown as outcomes of their own)")
	f.StringVar(&o.forwarding, "forwarding", "auto", "whether the host forwards (decides the fate of DNATed packets): auto (live: the host's sysctls; files: on), on, off")
	f.StringSliceVar(&o.families, "family", []string{"ipv4", "ipv6"}, "families to predict: ipv4, ipv6")
	f.StringSliceVar(&o.protocols, "protocol", []string{"tcp", "udp"}, "protocols to predict: tcp, udp")
}

func runRules(cmd *cobra.Command, o *rulesOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	rs, err := o.source.load(cmd.Context())
	if err != nil {
		return err
	}
	s, err := o.setting(rs)
	if err != nil {
		return err
	}
	if o.explain != "" {
		return explain(cmd, rs, s, o.explain)
	}
	r := report.Predictions{Env: s.env, Notes: append(rs.Notes, s.notes...)}
	for _, q := range s.queries {
		r.Sets = append(r.Sets, report.PredictionSet{Query: q, Predictions: rs.Predict(s.env, q),
			Neighbor: rs.NeighborDiscovery(s.env, q)})
	}
	if o.output == "json" {
		return report.WritePredictionsJSON(cmd.OutOrStdout(), r)
	}
	return report.WritePredictionsTable(cmd.OutOrStdout(), r)
}

// setting is the file setting for rule files, else the live host's.
func (o *rulesOptions) setting(rs *rules.Ruleset) (*setting, error) {
	if o.source.fromFiles() {
		return o.packet.fileSetting(rs)
	}
	host, err := hostinfo.Read()
	if err != nil {
		return nil, hostError{fmt.Errorf("read host addresses: %w", err)}
	}
	return o.packet.liveSetting(rs, host)
}

func (o *rulesOptions) validate() error {
	if o.output != "table" && o.output != "json" {
		return badInput("--output %q: want table or json", o.output)
	}
	if !slices.Contains([]string{"auto", "on", "off"}, o.packet.forwarding) {
		return badInput("--forwarding %q: want auto, on or off", o.packet.forwarding)
	}
	for _, f := range o.packet.families {
		if f != "ipv4" && f != "ipv6" {
			return badInput("--family %q: want ipv4 or ipv6", f)
		}
	}
	for _, p := range o.packet.protocols {
		if p != "tcp" && p != "udp" {
			return badInput("--protocol %q: want tcp or udp", p)
		}
	}
	if o.explain != "" {
		proto, _, err := parseExplain(o.explain)
		if err != nil {
			return err
		}
		o.packet.protocols = []string{proto}
	}
	return nil
}

// parseExplain reads "tcp/22".
func parseExplain(s string) (string, uint16, error) {
	proto, port, ok := strings.Cut(s, "/")
	n, err := strconv.ParseUint(port, 10, 16)
	if !ok || err != nil || !slices.Contains([]string{"tcp", "udp"}, proto) {
		return "", 0, badInput("--explain %q: want PROTO/PORT, e.g. tcp/22", s)
	}
	return proto, uint16(n), nil
}

func explain(cmd *cobra.Command, rs *rules.Ruleset, s *setting, what string) error {
	_, port, _ := parseExplain(what)
	w := cmd.OutOrStdout()
	for i, q := range s.queries {
		if i > 0 {
			fmt.Fprintln(w)
		}
		p := rules.Packet{Family: q.Family, Proto: q.Proto, Src: q.Src, Dst: q.Dst, Sport: q.Sport, Dport: port, InIface: q.InIface}
		report.WriteExplain(w, q, port, rs.Evaluate(p, s.env), rs.NeighborDiscovery(s.env, q))
	}
	return nil
}
