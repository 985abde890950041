package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/report/render"
	"github.com/perimeter-dev/perimeter/rules"
)

type rulesOptions struct {
	source  sourceOptions
	packet  packetOptions
	output  string
	explain string
	term    terminal
}

func newRulesCmd(term terminal) *cobra.Command {
	o := &rulesOptions{term: term}
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
	addPacketFlags(cmd, &o.packet, "source address of the packets, one per family (default: an address outside every prefix the rules name)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&o.explain, "explain", "", "print the full path of one packet, e.g. tcp/22 (table output only)")
	return cmd
}

func addSourceFlags(cmd *cobra.Command, o *sourceOptions) {
	f := cmd.Flags()
	f.StringArrayVar(&o.files.IPTablesSave, "iptables-save", nil, "read IPv4 rules from an iptables-save file instead of the host (repeatable)")
	f.StringArrayVar(&o.files.IP6TablesSave, "ip6tables-save", nil, "read IPv6 rules from an ip6tables-save file instead of the host (repeatable)")
	f.StringArrayVar(&o.files.NftJSON, "nft-json", nil, "read nftables rules from `nft -j list ruleset` output instead of the host (repeatable)")
	f.StringArrayVar(&o.files.NftText, "nft", nil, "read nftables rules from nft text (`nft list ruleset`, nftables.conf); needs root: it is loaded into a scratch network namespace (repeatable)")
	f.StringArrayVar(&o.files.IPSets, "ipset", nil, "contents of ipsets, from `ipset save` (repeatable)")
	f.BoolVar(&o.files.Strict, "strict", false, "an input that holds nothing (an empty rule file, no interface with an address to predict for) is an error (exit 2), not a note")
}

func runRules(cmd *cobra.Command, o *rulesOptions) error {
	p, port, err := o.validate()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st := startStatus(cmd.ErrOrStderr())
	defer st.end()
	rs, err := o.source.load(ctx, st)
	if err != nil {
		return err
	}
	s, _, err := setting(p, rs, o.source.fromFiles())
	if err != nil {
		return err
	}
	if err := o.source.checkQueries(s); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.explain != "" {
		st.end()
		explain(w, rs, s, port)
		return nil
	}
	sets, err := predictAll(ctx, rs, s.Env, s.Queries, st)
	if err != nil {
		return err
	}
	st.set("writing the output")
	r := report.Predictions{Env: s.Env, Sets: sets, Notes: append(rs.Notes, s.Notes...)}
	style := o.term.style(w)
	return writeAll(ctx, w, st, func(b io.Writer) error {
		if o.output == "json" {
			return render.WritePredictionsJSON(b, r)
		}
		return render.WritePredictionsTable(b, r, style)
	})
}

func (o *rulesOptions) validate() (report.Packets, uint16, error) {
	if o.output != "table" && o.output != "json" {
		return report.Packets{}, 0, badInput("--output %q: want table or json", o.output)
	}
	p, err := o.packet.packets(false)
	if err != nil || o.explain == "" {
		return p, 0, err
	}
	if o.output == "json" {
		return p, 0, badInput("--explain prints a packet's path as text: drop --output json")
	}
	proto, port, err := parseExplain(o.explain)
	p.Protocols = []uint8{proto}
	return p, port, err
}

// parseExplain reads "tcp/22".
func parseExplain(s string) (uint8, uint16, error) {
	name, port, ok := strings.Cut(s, "/")
	proto, known := rules.ParseProto(name)
	if !ok || !known || (proto != rules.ProtoTCP && proto != rules.ProtoUDP) {
		return 0, 0, badInput("--explain %q: want PROTO/PORT with PROTO tcp or udp, e.g. tcp/22", s)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return 0, 0, badInput("--explain %q: port %q is not a number from 0 to 65535", s, port)
	}
	return proto, uint16(n), nil
}

func explain(w io.Writer, rs *rules.Ruleset, s *report.Setting, port uint16) {
	for i, q := range s.Queries {
		if i > 0 {
			fmt.Fprintln(w)
		}
		p := rules.Packet{Family: q.Family, Proto: q.Proto, Src: q.Src, Dst: q.Dst, Sport: q.Sport, Dport: port, InIface: q.InIface}
		render.WriteExplain(w, q, port, rs.Evaluate(p, s.Env), rs.NeighborDiscovery(s.Env, q))
	}
}
