package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Run probes each job's ports on target, one protocol after the other,
// and returns a Report with one Result per port. An error means nothing was
// probed (a bad target, no route, ModeSyn without raw sockets). When ctx
// ends, Run stops at once: the Report is marked Interrupted and the ports
// it had not decided are Unknown with ReasonInterrupted.
func Run(ctx context.Context, target netip.Addr, jobs []Job, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	target = target.Unmap()
	if err := errors.Join(checkTarget(target, opts.Sources), checkJobs(jobs, opts.Paced)); err != nil {
		return nil, err
	}
	e, err := newEnv(target, opts)
	if err != nil {
		return nil, err
	}
	rep := newReport(target)
	rep.Source = e.src
	if len(e.srcs) > 1 {
		rep.Sources = e.srcs
	}
	for _, j := range jobs {
		if err := e.runJob(ctx, rep, j); err != nil {
			return nil, err
		}
	}
	rep.Duration = time.Since(rep.Started)
	rep.Interrupted = ctx.Err() != nil
	if rep.Interrupted {
		rep.notef("interrupted after %v: undecided ports are unknown (interrupted)", rep.Duration.Round(time.Millisecond))
	}
	return rep, nil
}

func (e *env) runJob(ctx context.Context, rep *Report, j Job) error {
	t, mode, err := e.transport(j.Proto)
	if err != nil {
		return err
	}
	closeT := sync.OnceValue(t.close)
	defer closeT()
	if j.Proto == "tcp" && e.opts.Mode == ModeAuto && mode == ModeConnect {
		rep.notef("tcp: connect mode: this process may not open raw sockets (root or CAP_NET_RAW gives the syn mode)")
	}
	start := time.Now()
	eng := newEngine(t, j.Ports, e.engineConfig(j.Proto, mode))
	res, stats := eng.run(ctx)
	if eng.noNeighbor {
		return fmt.Errorf("%w: %s from %s", ErrNoNeighbor, e.dst, e.src)
	}
	if held := heldPorts(t, j.Ports); len(held) > 0 { // also when interrupted: the old answer is our own
		if err := e.reprobeHeld(ctx, j, mode, held, closeT, res, &stats); err != nil {
			return err
		}
		rep.notef("%s: the prober's own socket held %s during the run (a host probing itself gets its own datagram back there); probed again from another socket, once that one was closed", j.Proto, portNames(held))
	}
	run := Scan{Proto: j.Proto, Mode: mode, Ports: len(j.Ports), Counts: countStates(res), Duration: time.Since(start), Stats: stats}
	rep.Scans = append(rep.Scans, run)
	if len(rep.Results) == 0 {
		rep.Results = res // no copy of 65,535 results
	} else {
		rep.Results = append(rep.Results, res...)
	}
	rep.addNotes(run, res)
	return nil
}

// reprobeHeld probes the held ports again, from new sockets opened before
// the old ones close (so the kernel gives them other ports), and puts
// the answers in res.
func (e *env) reprobeHeld(ctx context.Context, j Job, mode Mode, held []uint16, closeOld func() error, res []Result, stats *Stats) error {
	fresh := *e
	fresh.opts.SourcePort = 0 // the fixed port is the one held
	t, _, err := fresh.transport(j.Proto)
	if err != nil {
		return err
	}
	defer t.close()
	closeOld()
	again, st := newEngine(t, held, e.engineConfig(j.Proto, mode)).run(ctx)
	for _, r := range again {
		res[slices.Index(j.Ports, r.Port)] = r
	}
	stats.Sent += st.Sent
	stats.Retried += st.Retried
	return nil
}

// transport opens what the protocol and mode need, from every source.
func (e *env) transport(proto string) (transport, Mode, error) {
	mode, err := ModeDatagram, error(nil)
	if proto == "tcp" {
		if mode, err = e.tcpMode(); err != nil {
			return nil, mode, err
		}
	}
	ts := make([]transport, 0, len(e.srcs))
	for _, src := range e.srcs {
		t, err := e.from(src).open(mode)
		if err != nil {
			for _, t := range ts {
				t.close()
			}
			return nil, mode, err
		}
		ts = append(ts, t)
	}
	if len(ts) == 1 {
		return ts[0], mode, nil
	}
	return newSpread(ts), mode, nil
}

func (e *env) open(mode Mode) (transport, error) {
	switch mode {
	case ModeDatagram:
		return opened(newUDPTransport(e))
	case ModeConnect:
		return newConnectTransport(e), nil
	}
	return opened(newSynTransport(e))
}

// opened keeps a failed constructor's typed nil out of the interface.
func opened[T transport](t T, err error) (transport, error) {
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (e *env) engineConfig(proto string, mode Mode) engineConfig {
	w, why := e.limits.window(mode)
	return engineConfig{
		proto: proto, retries: e.opts.Retries, window: w, windowLimit: why,
		minTimeout: e.opts.MinTimeout, maxTimeout: e.opts.MaxTimeout, maxRate: e.opts.MaxRate,
		rateLimitWait: e.opts.RateLimitWait, counters: targetCounters(e.opts.TargetNetns),
		conntrack: conntrackReader(e.ns), conntrackWait: ctPatience,
		progress: e.opts.Progress, neighborWait: neighborWait, paced: pacedFor(e.opts.Paced, proto),
	}
}

// tcpMode resolves ModeAuto, and refuses ModeSyn without raw sockets.
func (e *env) tcpMode() (Mode, error) {
	err := canRaw(e.ns, e.v6)
	switch {
	case e.opts.Mode == ModeConnect:
		return ModeConnect, nil
	case e.opts.Mode == ModeAuto && errors.Is(err, ErrNoRawSocket):
		return ModeConnect, nil
	case err != nil:
		return ModeSyn, err
	}
	return ModeSyn, nil
}
