package probe

import (
	"fmt"
	"net/netip"
)

// env is what every transport of a run shares: the namespace, the
// addresses and the prober's limits. A run from several sources has one
// env per source, alike but for src.
type env struct {
	opts   Options
	ns     Netns
	dst    netip.Addr
	src    netip.Addr
	srcs   []netip.Addr // every source of the run; src is the first
	v6     bool
	locals map[netip.Addr]bool
	limits limits
}

func newEnv(target netip.Addr, opts Options) (*env, error) {
	e := &env{opts: opts, ns: opts.ProberNetns, dst: target, v6: target.Is6()}
	var err error
	if e.locals, err = localAddrs(e.ns); err != nil {
		return nil, err
	}
	for _, s := range opts.Sources {
		if s = s.Unmap(); !e.locals[s] {
			return nil, fmt.Errorf("%w: source %s is no address of the prober", ErrBadTarget, s)
		}
		e.srcs = append(e.srcs, s)
	}
	if len(e.srcs) == 0 {
		src, err := routeSource(e.ns, target)
		if err != nil {
			return nil, err
		}
		e.srcs = []netip.Addr{src}
	}
	e.src = e.srcs[0]
	e.limits = readLimits(e.ns)
	return e, nil
}

// from is e for a transport sending from src.
func (e *env) from(src netip.Addr) *env {
	c := *e
	c.src = src
	return &c
}

// self tells whether an ICMP error from a came from the prober's own
// kernel rather than from the target: a host probing itself gets the
// target's answers from its own address too.
func (e *env) self(a netip.Addr) bool { return e.locals[a] && a != e.dst }
