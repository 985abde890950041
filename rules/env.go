package rules

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// Env is the environment (DESIGN.md): everything the evaluator takes from
// a host besides its rules. It is read from the live host, given by flags,
// or, for rule files, a neutral default that never comes from the machine
// running perimeter; every prediction states the one it assumed.
type Env struct {
	// From says where the environment came from, for the output: "live
	// host", "rule files: neutral default", "snapshot FILE".
	From string `json:"from"`
	// Local holds the host's addresses: a packet to one is delivered
	// locally (INPUT), any other is forwarded (FORWARD); addrtype LOCAL
	// matches them.
	Local []netip.Addr `json:"local"`
	// Broadcast holds the host's broadcast addresses.
	Broadcast []netip.Addr `json:"broadcast,omitempty"`
	// IfaceAddrs holds each interface's addresses; REDIRECT sends to the
	// first of the incoming interface's.
	IfaceAddrs map[string][]netip.Addr `json:"interfaces"`
	// ForwardV4 and ForwardV6 say whether the host forwards
	// (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding). IPv4 forwards
	// per incoming interface: NoForward4 lists the interfaces whose own
	// net.ipv4.conf.IFACE.forwarding is off.
	ForwardV4  bool     `json:"forward_ipv4"`
	ForwardV6  bool     `json:"forward_ipv6"`
	NoForward4 []string `json:"no_forward_ipv4,omitempty"`
	// Routes map destinations to outgoing interfaces. With RoutesComplete
	// they are the host's own table, and a destination none covers has no
	// route; without, such a destination's route is unknown.
	Routes         []Route `json:"routes"`
	RoutesComplete bool    `json:"routes_complete"`
	// SourcesRouteBack says every source routes back through the
	// interface its packet arrived on, so reverse-path checks pass: the
	// neutral default for rule files.
	SourcesRouteBack bool `json:"sources_route_back"`
	// RPFilter is the kernel's own reverse-path filter per incoming
	// interface, the larger of net.ipv4.conf.all.rp_filter and the
	// interface's: 1 strict, 2 loose; absent or 0 off.
	RPFilter     map[string]uint8 `json:"rp_filter,omitempty"`
	SrcValidMark bool             `json:"src_valid_mark"`
	// RouteLocalnet says per incoming interface whether 127.0.0.0/8 may be
	// a destination there (net.ipv4.conf.IFACE.route_localnet), as a DNAT
	// to 127.0.0.1 needs; nil when unknown.
	RouteLocalnet map[string]bool `json:"route_localnet,omitempty"`
	// Assumed states, in words, what was assumed rather than read.
	Assumed []string `json:"assumed,omitempty"`
}

// Route is one route: packets to Dst leave through Iface.
type Route struct {
	Dst   netip.Prefix `json:"destination"`
	Iface string       `json:"interface"`
}

// route returns the interface of the longest route to a; known is false
// when the routes cannot tell (not the host's whole table), iface "" when
// the host surely has no route.
func (e *Env) route(a netip.Addr) (iface string, known bool) {
	best := -1
	for _, r := range e.Routes {
		if r.Dst.Contains(a) && r.Dst.Bits() > best {
			best, iface = r.Dst.Bits(), r.Iface
		}
	}
	return iface, best >= 0 || e.RoutesComplete
}

// IsLocal reports whether a belongs to the host.
func (e *Env) IsLocal(a netip.Addr) bool {
	return slices.Contains(e.Local, a.Unmap()) || a.IsLoopback()
}

// forwards reports whether a packet of family f arriving on iface may be
// forwarded.
func (e *Env) forwards(f Family, iface string) bool {
	if f == FamilyIPv6 {
		return e.ForwardV6
	}
	return e.ForwardV4 && !slices.Contains(e.NoForward4, iface)
}

// unroutable is the routing decision's own verdict for a packet that is
// not for the host: a silent drop when the host does not forward it
// (ip_error), or, with no route, ICMP no-route (IPv6 always, IPv4 when the
// interface forwards).
func (e *Env) unroutable(p Packet) (Verdict, Origin, bool) {
	iface, known := e.route(p.Dst)
	noRoute := known && iface == ""
	switch {
	case noRoute && p.Family == FamilyIPv6:
		return Verdict{Kind: Reject, RejectWith: RejectNoRoute6}, routing("no route to %s", p.Dst), true
	case !e.forwards(p.Family, p.InIface):
		return Verdict{Kind: Drop}, routing("%s is not local and %s does not forward", p.Dst, p.InIface), true
	case noRoute:
		return Verdict{Kind: Reject, RejectWith: RejectNetUnreach}, routing("no route to %s", p.Dst), true
	}
	return Verdict{}, Origin{}, false
}

// rpFilterDrops reports whether the kernel's reverse-path filter drops p
// before routing it: strict wants the route back to the source through
// the incoming interface, loose any route back.
func (e *Env) rpFilterDrops(p Packet) (Origin, bool) {
	mode := e.RPFilter[p.InIface]
	if p.Family != FamilyIPv4 || mode == 0 || e.SourcesRouteBack {
		return Origin{}, false
	}
	iface, known := e.route(p.Src)
	if !known || iface == p.InIface || mode == 2 && iface != "" {
		return Origin{}, false
	}
	return routing("rp_filter=%d on %s: no route back to %s through it", mode, p.InIface, p.Src), true
}

// reversePath says whether the route back to src leaves through iface
// (or, loose, exists at all); known is false when the routes cannot tell.
func (e *Env) reversePath(src netip.Addr, iface string, loose bool) (pass, known bool) {
	if e.SourcesRouteBack {
		return true, true
	}
	back, known := e.route(src)
	if !known {
		return false, false
	}
	return back != "" && (loose || back == iface), true
}

// martian reports whether p, to a loopback address, is refused on its
// incoming interface: known is false when route_localnet is unknown.
func (e *Env) martian(p Packet) (martian, known bool) {
	if !p.Dst.Is4() || !p.Dst.IsLoopback() || p.InIface == "lo" {
		return false, true
	}
	if e.RouteLocalnet == nil {
		return false, false
	}
	return !e.RouteLocalnet[p.InIface], true
}

func routing(format string, args ...any) Origin {
	return Origin{Table: "routing", Text: fmt.Sprintf(format, args...)}
}

func (e *Env) addrType(a netip.Addr) AddrType {
	switch {
	case e.IsLocal(a):
		return AddrLocal
	case a.IsMulticast():
		return AddrMulticast
	case a == netip.IPv4Unspecified() || a == netip.IPv6Unspecified():
		return AddrUnspec
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || slices.Contains(e.Broadcast, a):
		return AddrBroadcast
	}
	return AddrUnicast
}

// Summary states the environment in one line.
func (e *Env) Summary() string {
	var hosts []string
	for _, name := range sortedKeys(e.IfaceAddrs) {
		if as := global(e.IfaceAddrs[name]); len(as) > 0 {
			hosts = append(hosts, fmt.Sprintf("%s on %s", joinAddrs(as), name))
		}
	}
	parts := []string{e.From + ": host " + strings.Join(hosts, ", "),
		fmt.Sprintf("forwarding ipv4 %s, ipv6 %s", onOff(e.ForwardV4), onOff(e.ForwardV6))}
	switch {
	case e.RoutesComplete:
		parts = append(parts, fmt.Sprintf("%d routes", len(e.Routes)))
	case len(e.Routes) > 0:
		parts = append(parts, "routes "+joinRoutes(e.Routes)+" (from the rules), others unknown")
	default:
		parts = append(parts, "routes unknown")
	}
	if e.SourcesRouteBack {
		parts = append(parts, "sources route back through the interface they arrive on")
	}
	for _, name := range sortedKeys(e.RPFilter) {
		if mode := e.RPFilter[name]; mode != 0 {
			parts = append(parts, fmt.Sprintf("rp_filter %d on %s", mode, name))
		}
	}
	return strings.Join(append(parts, e.Assumed...), "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.Sort(keys)
	return keys
}

// global leaves out loopback and link-local addresses, which no packet
// from outside is sent to.
func global(as []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range as {
		if !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			out = append(out, a)
		}
	}
	return out
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, " and ")
}

func joinRoutes(rs []Route) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.Dst.String() + " via " + r.Iface
	}
	return strings.Join(s, ", ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
