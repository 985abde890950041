package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/report/render"
)

type auditOptions struct {
	packet       packetOptions
	output       string
	failOn       string
	probeResults string
	remote       *probe.Report // read from probeResults
	noProbe      bool
	noBanners    bool
	strict       bool
	allPorts     bool
	mode         string
	wait         time.Duration
	term         terminal

	failAt report.Severity
}

func newAuditCmd(term terminal) *cobra.Command {
	o := &auditOptions{term: term}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Join rules, sockets and probes into per-port findings (the main command)",
		Long: `Reads every firewall rule of the host (iptables legacy and nft, nftables,
IPv4 and IPv6), its listening sockets and their processes, and its
addresses, routes and sysctls. Predicts what a packet from outside meets on
every interface with an address, probes the host's own addresses from the
host (the local vantage: through lo, weak evidence), imports a probe run
from another machine (--probe-results), grabs the banners of the open TCP
ports, and joins it all into one row per port that matters and a list of
findings, each with a severity and a one-line fix.

Exit codes: 0 no finding at or above --fail-on, 1 some finding is, 2 bad
usage or input, 3 the host could not be read at all, 4 an internal error.`,
		Example: `  sudo perimeter audit
  sudo perimeter audit --output json --fail-on medium
  perimeter probe 198.18.0.1 --ports all --output json > remote.json   # on another machine
  sudo perimeter audit --probe-results remote.json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runAudit(cmd, o) },
	}
	addPacketFlags(cmd, &o.packet, "also predict packets from this source address (repeatable; default: an address outside every prefix the rules name)")
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding is at least this severe: info, low, medium, high, critical")
	f.StringVar(&o.probeResults, "probe-results", "", "JSON of `perimeter probe --output json` run against this host from another machine (the remote vantage)")
	f.BoolVar(&o.noProbe, "no-probe", false, "do not probe: rules and sockets only")
	f.BoolVar(&o.strict, "strict", false, "a host that leaves nothing to predict (no interface with an address) is an error (exit 2), not a note")
	f.BoolVar(&o.noBanners, "no-banners", false, "do not connect to open TCP ports to read their banners")
	f.BoolVar(&o.allPorts, "all-ports", false, "probe all 65,535 ports of each protocol, not only the ports the rules and sockets make worth probing")
	f.StringVar(&o.mode, "mode", "auto", "TCP probe mode: auto (raw SYN as root, else connect), connect or syn")
	f.DurationVar(&o.wait, "rate-limit-wait", 30*time.Second, "longest paced re-probing of ports whose answers are rate-limited")
	return cmd
}

func runAudit(cmd *cobra.Command, o *auditOptions) error {
	p, err := o.validate()
	if err != nil {
		return err
	}
	in, err := gather(cmd, o, p)
	if err != nil {
		return err
	}
	a := report.Join(*in)
	w := cmd.OutOrStdout()
	if o.output == "json" {
		err = render.WriteAuditJSON(w, a)
	} else {
		err = render.WriteAuditTable(w, a, o.term.style(w))
	}
	if err != nil {
		return err
	}
	if interrupted(in) || cmd.Context().Err() != nil {
		return errInterrupted
	}
	if worst, ok := a.Worst(); ok && worst >= o.failAt {
		return findingsError{worst: worst, at: o.failAt}
	}
	return nil
}

func (o *auditOptions) validate() (report.Packets, error) {
	if o.output != "table" && o.output != "json" {
		return report.Packets{}, badInput("--output %q: want table or json", o.output)
	}
	sev, err := report.ParseSeverity(o.failOn)
	if err != nil {
		return report.Packets{}, badInput("--fail-on: %v", err)
	}
	o.failAt = sev
	if o.mode != string(probe.ModeAuto) && o.mode != string(probe.ModeConnect) && o.mode != string(probe.ModeSyn) {
		return report.Packets{}, badInput("--mode %q: want auto, connect or syn", o.mode)
	}
	if o.wait < 0 {
		return report.Packets{}, badInput("--rate-limit-wait %v: want a duration of 0s or more", o.wait)
	}
	if err := o.readRemote(); err != nil {
		return report.Packets{}, err
	}
	p, err := o.packet.packets(true)
	p.EveryIface, p.AlsoOutsider = true, true
	return p, err
}

// interrupted tells whether Ctrl-C cut a probe short: the audit printed
// what it had.
func interrupted(in *report.Input) bool {
	for _, v := range in.Vantages {
		if v.Report != nil && v.Report.Interrupted {
			return true
		}
	}
	return false
}

// findingsError is a finding at or above --fail-on: exit 1.
type findingsError struct{ worst, at report.Severity }

func (e findingsError) Error() string {
	return fmt.Sprintf("a finding is %s, at or above --fail-on %s", e.worst, e.at)
}

// readRemote reads --probe-results, before anything of the host is read:
// bad input fails first.
func (o *auditOptions) readRemote() error {
	if o.probeResults == "" {
		return nil
	}
	f, err := os.Open(o.probeResults)
	if err != nil {
		return badInput("--probe-results %s: %v", quote.Q(o.probeResults), pathErr(err))
	}
	defer f.Close()
	if o.remote, err = probe.DecodeReport(f); err != nil {
		return badInput("--probe-results %s: %v", quote.Q(o.probeResults), err)
	}
	return nil
}

// pathErr is what an os call said of a path, without the path and the
// call (the message names the path once).
func pathErr(err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file")
	case errors.As(err, &pe):
		return pe.Err
	}
	return err
}
