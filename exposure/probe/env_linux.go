package probe

import (
	"fmt"
	"net/netip"
)

// env is what every transport of a run shares: the namespace, the
// addresses and the prober's limits.
type env struct {
	opts   Options
	ns     Netns
	dst    netip.Addr
	src    netip.Addr
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
	e.src = opts.Source.Unmap()
	if !e.src.IsValid() {
		if e.src, err = routeSource(e.ns, target); err != nil {
			return nil, err
		}
	} else if !e.locals[e.src] {
		return nil, fmt.Errorf("%w: source %s is no address of the prober", ErrBadTarget, e.src)
	}
	e.limits = readLimits(e.ns)
	return e, nil
}

// self tells whether an ICMP error from a came from the prober's own
// kernel rather than from the target: a host probing itself gets the
// target's answers from its own address too.
func (e *env) self(a netip.Addr) bool { return e.locals[a] && a != e.dst }
