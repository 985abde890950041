package sandbox

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"

	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// NamePrefix starts the name of every namespace a lab creates. Sweep removes
// only namespaces whose names start with it.
const NamePrefix = "perim-"

// ProberIface is the name of the prober's end of the veth pair.
const ProberIface = "probe0"

// DefaultTimeout is a good Probe timeout for the lab: its round trip is
// microseconds.
const DefaultTimeout = 300 * time.Millisecond

// DefaultParallel bounds how many ports Probe tests at once.
const DefaultParallel = 256

// Default addresses, all from the benchmarking and documentation ranges.
var (
	DefaultTargetAddrs = []netip.Prefix{
		netip.MustParsePrefix("198.18.0.1/24"),
		netip.MustParsePrefix("2001:db8::1/64"),
	}
	DefaultProberAddrs = []netip.Prefix{
		netip.MustParsePrefix("198.18.0.2/24"),
		netip.MustParsePrefix("2001:db8::2/64"),
	}
)

var (
	labRange4 = netip.MustParsePrefix("198.18.0.0/15")
	labRange6 = netip.MustParsePrefix("2001:db8::/32")
)

// ErrUnsupported is returned where network namespaces are not available.
var ErrUnsupported = errors.New("sandbox: network namespaces not supported")

// ErrNoPrivilege wraps New's error when the process may not create network
// namespaces (not root, or root without CAP_SYS_ADMIN).
var ErrNoPrivilege = errors.New("sandbox: no privilege to create network namespaces")

// Config describes a lab. The zero value is a good lab.
type Config struct {
	// TargetIface names the target's end of the veth pair (default "eth0").
	// The prober's end is always ProberIface.
	TargetIface string
	// TargetAddrs are the target's addresses (default DefaultTargetAddrs).
	TargetAddrs []netip.Prefix
	// ProberAddrs are the prober's addresses (default DefaultProberAddrs);
	// extra ones let a test choose the probe's source. Prefixes that the
	// other side has no on-link prefix for get an on-link route there.
	ProberAddrs []netip.Prefix
	// ICMPRateLimit keeps the kernel's ICMP rate limits in the target. When
	// false (the default) they are switched off there, so REJECT and
	// port-unreachable replies are never suppressed.
	ICMPRateLimit bool
	// Forwarding enables IPv4 and IPv6 forwarding in the target.
	Forwarding bool
	// Backend, when set, adds a third namespace behind the target, the
	// way a container network sits behind a Docker host; it turns
	// Forwarding on.
	Backend *Backend
}

// Backend is a namespace the target reaches through its own veth end,
// with a default route back through the target.
type Backend struct {
	Iface       string         // the target's end, e.g. "docker0"; the backend's end is "eth0"
	TargetAddrs []netip.Prefix // the target's addresses on that link, e.g. 198.19.0.1/16
	Addrs       []netip.Prefix // the backend's addresses, e.g. 198.19.0.2/16
}

// reasonNoResponseUDP is a silent UDP port's reason: a service may
// ignore a datagram it does not understand.
const reasonNoResponseUDP = probe.ReasonNoResponse + " (" + probe.DoubtOpenFiltered + ")"

// Result is what Probe saw for one port.
type Result struct {
	Port   uint16
	State  probe.State
	Reason string
	// From is who answered: the target for a SYN-ACK, RST or reply, the
	// ICMP sender for a rejection; zero when nothing answered.
	From netip.Addr
	// Err is set when State is Unknown.
	Err error
}

func (r Result) String() string {
	s := fmt.Sprintf("%d %s (%s)", r.Port, r.State, r.Reason)
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// Lab is a running two-namespace lab. Create it with New and remove it with
// Close. Its methods are safe for concurrent use.
type Lab struct {
	Target      string         // target netns name
	Prober      string         // prober netns name
	Backend     string         // backend netns name; "" without a backend
	TargetIface string         // the target's veth end
	ProberIface string         // the prober's veth end
	TargetAddrs []netip.Prefix // as configured
	ProberAddrs []netip.Prefix // as configured
	// Parallel bounds how many ports Probe tests at once; 0 means
	// DefaultParallel.
	Parallel int

	cfg       Config
	sys       labSys // per-OS state
	closeOnce sync.Once
	closeErr  error
}

// TargetAddr returns the target's first address of the family (zero if none).
func (l *Lab) TargetAddr(v6 bool) netip.Addr { return firstAddr(l.TargetAddrs, v6) }

// ProberAddr returns the prober's first address of the family (zero if none).
func (l *Lab) ProberAddr(v6 bool) netip.Addr { return firstAddr(l.ProberAddrs, v6) }

func firstAddr(ps []netip.Prefix, v6 bool) netip.Addr {
	for _, p := range ps {
		if p.Addr().Is6() == v6 {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

// withDefaults fills in the defaults; v6 false drops default IPv6 addresses
// (for kernels without IPv6).
func (c Config) withDefaults(v6 bool) Config {
	if c.TargetIface == "" {
		c.TargetIface = "eth0"
	}
	if len(c.TargetAddrs) == 0 {
		c.TargetAddrs = familyOnly(DefaultTargetAddrs, v6)
	}
	if len(c.ProberAddrs) == 0 {
		c.ProberAddrs = familyOnly(DefaultProberAddrs, v6)
	}
	return c
}

func familyOnly(ps []netip.Prefix, v6 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if v6 || p.Addr().Is4() {
			out = append(out, p)
		}
	}
	return out
}

func (c Config) validate() error {
	if err := checkIfname(c.TargetIface); err != nil {
		return err
	}
	all := append(append([]netip.Prefix{}, c.TargetAddrs...), c.ProberAddrs...)
	if b := c.Backend; b != nil {
		if err := checkIfname(b.Iface); err != nil || b.Iface == c.TargetIface {
			return fmt.Errorf("config: bad backend interface name %q", b.Iface)
		}
		all = append(append(all, b.TargetAddrs...), b.Addrs...)
	}
	seen := map[netip.Addr]bool{}
	for _, p := range all {
		if err := checkLabPrefix(p); err != nil {
			return err
		}
		if seen[p.Addr()] {
			return fmt.Errorf("config: address %s used twice", p.Addr())
		}
		seen[p.Addr()] = true
	}
	return nil
}

func checkIfname(name string) error {
	if len(name) == 0 || len(name) > 15 || name == "lo" || name == "." || name == ".." {
		return fmt.Errorf("config: bad interface name %q", name)
	}
	for _, r := range name {
		if r <= ' ' || r == '/' || r == ':' || r > '~' {
			return fmt.Errorf("config: bad interface name %q", name)
		}
	}
	return nil
}

// checkLabPrefix enforces the lab's address ranges.
func checkLabPrefix(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case !p.IsValid() || a.Zone() != "" || a.Is4In6():
		return fmt.Errorf("config: bad prefix %s", p)
	case a.Is4() && labRange4.Contains(a) && p.Bits() >= labRange4.Bits():
		return nil
	case a.Is6() && labRange6.Contains(a) && p.Bits() >= labRange6.Bits():
		return nil
	}
	return fmt.Errorf("config: %s is outside 198.18.0.0/15 and 2001:db8::/32", p)
}

// peerRoutes returns the prefixes of peer that no local prefix covers: the
// local side needs an on-link route to each.
func peerRoutes(local, peer []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, p := range peer {
		m := p.Masked()
		if seen[m] || covered(local, m) {
			continue
		}
		seen[m] = true
		out = append(out, m)
	}
	return out
}

func covered(local []netip.Prefix, m netip.Prefix) bool {
	for _, l := range local {
		if l.Addr().Is6() == m.Addr().Is6() && l.Bits() <= m.Bits() && l.Masked().Contains(m.Addr()) {
			return true
		}
	}
	return false
}
