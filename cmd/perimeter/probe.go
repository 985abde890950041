package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/exposure/hostinfo"
	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/report/render"
)

type probeOptions struct {
	ports     string
	protocols []string
	mode      string
	output    string
	sources   []string
	maxRate   float64
	wait      time.Duration
	srcPort   string
	term      terminal
}

func newProbeCmd(term terminal) *cobra.Command {
	o := &probeOptions{term: term}
	cmd := &cobra.Command{
		Use:   "probe TARGET",
		Short: "Probe a host's ports and tell open, closed, rejected and stealth apart",
		Long: `Probes the TCP and UDP ports of TARGET (an address or a host name) and
classifies each as open, closed, rejected (ICMP unreachable, with its type),
stealth (silence) or unknown, with the reason, the reply's TTL and the round
trip. Probes go to TARGET and nowhere else.

TCP uses raw SYNs when the process may open raw sockets (root or
CAP_NET_RAW) and plain connect() otherwise; UDP needs no privilege. Silent
ports are retried, the rate backs off when replies go missing, and the
silent ports of ranges whose answers are rate-limited (a limit on a reject
rule, the kernel's ICMP limit) are re-probed at the rate the answers come,
up to --rate-limit-wait; until settled they are unknown (rate-limited),
never stealth. A target that answers no ARP or neighbour discovery is an
error (exit 3): nothing reached it. --source-port probes from a fixed
source port, as nmap -g does. --source given more than once probes from
each address in turn: the target's kernel limits its ICMP errors per
address (Linux: 6, then one a second), so a drop host with a rejected
range, or a UDP scan, settles n times as fast from n addresses of the
prober; the target's rules must treat them alike. Ctrl-C stops at once
and prints what was found. --output json is the format the audit imports
from a remote vantage.`,
		Example: `  perimeter probe 198.18.0.1 --ports all
  perimeter probe db.example.net --protocol tcp,udp --ports top,5432 --output json
  perimeter probe 198.18.0.1 --protocol udp --ports all --source-port 53
  perimeter probe 198.18.0.1 --protocol udp --ports all --source 198.18.0.2,198.18.0.3,198.18.0.4`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runProbe(cmd, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.ports, "ports", "p", "top", "ports: a list and ranges (22,80,8000-8100), all, top, or a mix")
	f.StringSliceVar(&o.protocols, "protocol", []string{"tcp"}, "protocols: tcp, udp")
	f.StringVar(&o.mode, "mode", "auto", "TCP probe mode: auto, connect or syn")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.StringSliceVar(&o.sources, "source", nil, "address to probe from (default: the route's); several (repeated or a list) take turns, and a target that limits its ICMP errors per address answers n of them n times as fast")
	f.Float64Var(&o.maxRate, "max-rate", 0, "most packets a second (default: as fast as replies keep up)")
	f.DurationVar(&o.wait, "rate-limit-wait", probe.DefaultRateLimitWait, "longest paced re-probing of the silent ports of ranges whose answers are rate-limited (0: none; those ports are then unknown)")
	f.StringVar(&o.srcPort, "source-port", "", "probe from this source port, like nmap -g (rules that accept by source port, e.g. --sport 53, let such probes in)")
	return cmd
}

func runProbe(cmd *cobra.Command, o *probeOptions, target string) error {
	jobs, opts, err := o.parse()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	addr, note, err := resolveTarget(ctx, target)
	if err != nil {
		return err
	}
	if err := checkTarget(target, addr); err != nil {
		return err
	}
	if isLocalAddr(addr) {
		opts.TargetNetns = probe.Here // this host: its ICMP counters are ours to read
	}
	bar := newProgressBar(cmd.ErrOrStderr())
	opts.Progress = bar.update
	rep, err := probe.Run(ctx, addr, jobs, opts)
	bar.clear()
	if err != nil {
		return probeError(err)
	}
	if note != "" {
		rep.Notes = append([]string{note}, rep.Notes...)
	}
	if err := o.write(cmd.OutOrStdout(), rep); err != nil {
		return err
	}
	if rep.Interrupted {
		return errInterrupted
	}
	return nil
}

func (o *probeOptions) parse() ([]probe.Job, probe.Options, error) {
	opts := probe.Options{Mode: probe.Mode(o.mode), MaxRate: o.maxRate, RateLimitWait: o.wait}
	sport, err := parsePort("--source-port", o.srcPort)
	if err != nil {
		return nil, opts, err
	}
	opts.SourcePort = sport
	if !slices.Contains([]probe.Mode{probe.ModeAuto, probe.ModeConnect, probe.ModeSyn}, opts.Mode) {
		return nil, opts, badInput("--mode %q: want auto, connect or syn", o.mode)
	}
	if o.output != "table" && o.output != "json" {
		return nil, opts, badInput("--output %q: want table or json", o.output)
	}
	if err := checkRate("--max-rate", o.maxRate); err != nil {
		return nil, opts, err
	}
	if o.wait < 0 {
		return nil, opts, badInput("--rate-limit-wait %v: want a duration of 0s or more", o.wait)
	}
	if o.wait == 0 {
		opts.RateLimitWait = -1
	}
	if opts.Sources, err = parseAddrs("--source", o.sources, true); err != nil {
		return nil, opts, err
	}
	jobs, err := o.jobs()
	return jobs, opts, err
}

func (o *probeOptions) jobs() ([]probe.Job, error) {
	var jobs []probe.Job
	for _, p := range o.protocols {
		if p != "tcp" && p != "udp" {
			return nil, badInput("--protocol %q: want tcp or udp", p)
		}
		ports, err := probe.ParsePorts(o.ports, p)
		if err != nil {
			return nil, badInput("--%v", err)
		}
		jobs = append(jobs, probe.Job{Proto: p, Ports: ports})
	}
	return jobs, nil
}

// resolveTarget takes an address as it is, or the first address of a host
// name (saying so when it has more).
func resolveTarget(ctx context.Context, target string) (netip.Addr, string, error) {
	if a, err := netip.ParseAddr(target); err == nil {
		return a.Unmap(), "", nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", target)
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, "", lookupError(ctx, target, err)
	}
	a := addrs[0].Unmap()
	note := fmt.Sprintf("%s resolved to %s", target, a)
	if len(addrs) > 1 {
		note += fmt.Sprintf(" (it has %d addresses; only this one was probed)", len(addrs))
	}
	return a, note, nil
}

func isLocalAddr(a netip.Addr) bool {
	if a.IsLoopback() {
		return true
	}
	addrs, _ := net.InterfaceAddrs()
	for _, x := range addrs {
		if p, err := netip.ParsePrefix(x.String()); err == nil && p.Addr().Unmap() == a {
			return true
		}
	}
	return false
}

// lookupError tells a name that does not exist (bad input) from a
// resolver that could not be asked (the host's problem).
func lookupError(ctx context.Context, target string, err error) error {
	var de *net.DNSError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err == nil:
		return badInput("target %s: not an address, and the name has no address", quote.Q(target))
	case errors.As(err, &de) && de.IsNotFound:
		return badInput("target %s: not an address, and no host has that name", quote.Q(target))
	case errors.As(err, &de):
		return hostError{fmt.Errorf("target %s: not an address, and the resolver could not be asked about the name (%s): check /etc/resolv.conf and the network, or give an address", quote.Q(target), de.Err)}
	}
	return hostError{fmt.Errorf("target %s: resolve: %w", quote.Q(target), err)}
}

// checkTarget refuses, in the user's words, a target that names no one
// host: the unspecified address, a link-local address (perimeter does not
// probe them), a multicast or broadcast address, the broadcast address
// of a subnet of this host.
func checkTarget(given string, a netip.Addr) error {
	why := ""
	switch {
	case a.IsUnspecified():
		why = "the unspecified address names no host: give the address of the host to probe"
	case a.Is6() && (a.IsLinkLocalUnicast() || a.Zone() != ""):
		why = "perimeter does not probe link-local addresses (they need a zone, such as %eth0): give one of the host's global addresses"
	case a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		why = "a multicast or broadcast address reaches many hosts: probes go to one"
	}
	if p, iface, ok := hostinfo.BroadcastOf(a); ok {
		why = fmt.Sprintf("the broadcast address of %s on %s reaches every host there: probes go to one", p, iface)
	}
	if why == "" {
		return nil
	}
	return badInput("target %s: %s", quote.Q(given), why)
}

// checkRate checks a rate flag: 0 is the default, anything else a
// finite number above 0.
func checkRate(flag string, r float64) error {
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return badInput("%s %v: want a number of packets a second above 0 (or 0, the default: as fast as replies keep up)", flag, r)
	}
	return nil
}

func probeError(err error) error {
	if errors.Is(err, probe.ErrNoRawSocket) || errors.Is(err, probe.ErrUnsupported) {
		return hostError{err}
	}
	if errors.Is(err, probe.ErrNoNeighbor) {
		return hostError{fmt.Errorf("%w: no port has a state", err)}
	}
	if errors.Is(err, probe.ErrBadTarget) {
		return usageError{err}
	}
	if errors.Is(err, syscall.EACCES) {
		return usageError{fmt.Errorf("%w (the kernel refuses to send there: a broadcast address, or a local firewall rule on output?)", err)}
	}
	return hostError{err}
}

func (o *probeOptions) write(w io.Writer, rep *probe.Report) error {
	if o.output == "json" {
		return render.WriteProbeJSON(w, rep)
	}
	return render.WriteProbeTable(w, rep, o.term.style(w))
}
