package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/exposure/banner"
	"github.com/perimeter-dev/perimeter/exposure/hostinfo"
	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/load"
)

// gather reads what the audit joins. What cannot be read is said in
// Unread; only a host of which nothing at all could be read is an error.
func gather(cmd *cobra.Command, o *auditOptions, p report.Packets) (*report.Input, error) {
	ctx := cmd.Context()
	host, err := hostinfo.Read()
	if err != nil {
		return nil, hostError{fmt.Errorf("read host addresses: %w", err)}
	}
	in := &report.Input{Host: report.HostFacts{Name: host.Name, Kernel: host.Kernel, Ifaces: host.Addrs}}
	if err := checkIfaces(p, host); err != nil {
		return nil, err
	}
	st := startStatus(cmd.ErrOrStderr())
	readRules(ctx, in, p, host, st)
	st.end()
	if o.strict && in.Setting != nil {
		if err := requireQueries(in.Setting); err != nil {
			return nil, err
		}
	}
	readListeners(ctx, in)
	o.importRemote(in, host)
	if !o.noProbe {
		o.probeLocal(ctx, cmd.ErrOrStderr(), in)
	}
	if !o.noBanners {
		grabBanners(ctx, in)
	}
	if in.Ruleset == nil && in.Listeners == nil && len(in.Vantages) == 0 {
		return nil, hostError{fmt.Errorf("nothing could be read: %v", in.Unread)}
	}
	return in, nil
}

// readRules reads every backend's rules and predicts them; without root
// the rules are unread.
func readRules(ctx context.Context, in *report.Input, p report.Packets, h *hostinfo.Host, st *status) {
	st.set("reading the host's rules")
	rs, err := load.Live(ctx)
	if err != nil {
		in.Unread = append(in.Unread, unreadRules(err))
		return
	}
	setting := p.LiveSetting(rs, h)
	sets, err := predictAll(ctx, rs, setting.Env, setting.Queries, st)
	if err != nil {
		in.Unread = append(in.Unread, "firewall rules: prediction interrupted")
		return
	}
	in.Ruleset, in.Setting, in.Sets = rs, setting, sets
	in.Notes = append(in.Notes, rs.Notes...)
	in.Notes = append(in.Notes, in.Setting.Notes...)
}

func unreadRules(err error) string {
	if load.IsPermission(err) {
		return "firewall rules: reading them needs root (CAP_NET_ADMIN); run with sudo"
	}
	return fmt.Sprintf("firewall rules: %v", err)
}

func readListeners(ctx context.Context, in *report.Input) {
	l, err := sockets.List(ctx, sockets.Options{})
	if err != nil {
		in.Unread = append(in.Unread, fmt.Sprintf("listening sockets: %v", err))
		return
	}
	in.Listeners = l
	in.Notes = append(in.Notes, l.Notes...)
}

// importRemote adds --probe-results, read by validate: a probe of one of
// this host's addresses from elsewhere.
func (o *auditOptions) importRemote(in *report.Input, h *hostinfo.Host) {
	rep := o.remote
	if rep == nil {
		return
	}
	iface := ifaceOf(h, rep.Target)
	if iface == "" {
		in.Notes = append(in.Notes, fmt.Sprintf("the remote probe went to %s, not an address of this host: its results are shown but not compared with the rules", rep.Target))
	}
	in.Vantages = append(in.Vantages, report.Vantage{Name: report.VantageRemote, Report: rep, Iface: iface})
}

// ifaceOf is the interface that holds address a, or "".
func ifaceOf(h *hostinfo.Host, a netip.Addr) string {
	for _, name := range h.Ifaces() {
		if slices.Contains(h.Addrs[name], a) {
			return name
		}
	}
	return ""
}

// probeLocal probes, from the host, each family's first predicted
// destination on the ports the rules and sockets make worth probing.
func (o *auditOptions) probeLocal(ctx context.Context, stderr io.Writer, in *report.Input) {
	jobs := o.jobs(report.PlanProbes(in.Sets, in.Listeners))
	if len(jobs) == 0 {
		return
	}
	for _, target := range localTargets(in) {
		bar := newProgressBar(stderr)
		opts := probe.Options{Mode: probe.Mode(o.mode), TargetNetns: probe.Here, RateLimitWait: o.wait,
			Paced: localPaces(ctx, in, target, jobs), Progress: bar.update}
		rep, err := probe.Run(ctx, target, jobs, opts)
		bar.clear()
		if err != nil {
			in.Unread = append(in.Unread, fmt.Sprintf("local probe of %s: %v", target, err))
			continue
		}
		in.Vantages = append(in.Vantages, report.Vantage{Name: report.VantageLocal, Weak: true, Report: rep, Iface: "lo"})
		in.Notes = append(in.Notes, limitNotes(rep)...)
	}
}

// limitNotes say where the local probe's answers were rate-limited, and
// whether the rules said so: such ranges take the probe time.
func limitNotes(rep *probe.Report) []string {
	var out []string
	for _, sc := range rep.Scans {
		for _, r := range sc.Stats.RateLimited {
			how := fmt.Sprintf("about %g/s, as the answers came", r.PerSecond)
			if r.Stated {
				how = fmt.Sprintf("%g/s, as the rules limit it", r.PerSecond)
			}
			out = append(out, fmt.Sprintf("local probe of %s: %s %d-%d answer at a limited rate; probed at %s", rep.Target, sc.Proto, r.From, r.To, how))
		}
	}
	return out
}

// localPaces are the rate limits the rules set on the local probe's way
// in (from target to itself, over lo): the probe paces those ranges from
// the start, and loses no answer to them.
func localPaces(ctx context.Context, in *report.Input, target netip.Addr, jobs []probe.Job) []probe.Pace {
	if in.Ruleset == nil || in.Setting == nil {
		return nil
	}
	var qs []rules.Query
	for _, j := range jobs {
		proto, _ := rules.ParseProto(j.Proto)
		qs = append(qs, rules.Query{Family: familyOf(target), Proto: proto, InIface: "lo", Src: target, Dst: target})
	}
	sets, err := report.PredictAllContext(ctx, in.Ruleset, in.Setting.Env, qs)
	if err != nil {
		return nil
	}
	return report.Paces(sets)
}

func (o *auditOptions) jobs(plan map[string][]uint16) []probe.Job {
	var jobs []probe.Job
	for _, proto := range o.packet.protocols {
		ports := plan[proto]
		if o.allPorts {
			ports, _ = probe.ParsePorts("all", proto)
		}
		if len(ports) > 0 {
			jobs = append(jobs, probe.Job{Proto: proto, Ports: ports})
		}
	}
	return jobs
}

// localTargets are the first predicted destination of each family, or
// without rules, the first address of each family on the host.
func localTargets(in *report.Input) []netip.Addr {
	var out []netip.Addr
	have := func(v6 bool) bool { return slices.ContainsFunc(out, func(a netip.Addr) bool { return a.Is6() == v6 }) }
	if in.Setting != nil {
		for _, q := range in.Setting.Queries {
			if !have(q.Family == rules.FamilyIPv6) {
				out = append(out, q.Dst)
			}
		}
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(in.Host.Ifaces)) {
		for _, a := range in.Host.Ifaces[name] {
			if !a.IsLoopback() && !a.IsLinkLocalUnicast() && !have(a.Is6()) {
				out = append(out, a)
			}
		}
	}
	return out
}

// grabBanners reads the greeting of every TCP port the local vantage saw
// open and an outsider reaches: what an attacker can read.
func grabBanners(ctx context.Context, in *report.Input) {
	seen := map[uint16]bool{}
	for _, v := range in.Vantages {
		if v.Report == nil || v.Name != report.VantageLocal {
			continue
		}
		var ports []uint16
		for _, r := range v.Report.Results {
			if r.Proto == "tcp" && r.State == probe.Open && !seen[r.Port] && report.Reachable(in.Sets, "tcp", r.Port) {
				ports, seen[r.Port] = append(ports, r.Port), true
			}
		}
		in.Banners = append(in.Banners, banner.GrabAll(ctx, v.Report.Target, ports, banner.Options{})...)
	}
}
