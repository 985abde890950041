package hostinfo

import (
	"net"
	"net/netip"
	"slices"
)

// Host is a snapshot of the host's addressing.
type Host struct {
	// Name is the host name; Kernel the kernel's release.
	Name   string
	Kernel string
	// Addrs holds each interface's addresses, in the kernel's order.
	Addrs map[string][]netip.Addr
	// Broadcast holds the IPv4 broadcast addresses of the host's subnets.
	Broadcast []netip.Addr
	Routes    []Route
	ForwardV4 bool
	ForwardV6 bool
	// Links lists every interface, with an address or not.
	Links []string
	// Conf holds the IPv4 sysctls of each interface (net.ipv4.conf.IFACE)
	// and of "all", which the kernel combines with an interface's own.
	Conf map[string]Conf
}

// Conf is one interface's IPv4 settings that decide a packet's fate
// before any rule: net.ipv4.conf.IFACE.*.
type Conf struct {
	RPFilter      uint8 // 0 off, 1 strict, 2 loose
	Forwarding    bool
	RouteLocalnet bool
	SrcValidMark  bool
}

// HasLink reports whether the host has an interface of that name.
func (h *Host) HasLink(name string) bool { return slices.Contains(h.Links, name) }

// Route is a route from the main table.
type Route struct {
	Dst     netip.Prefix
	Iface   string
	Default bool
}

// Local lists every address of the host.
func (h *Host) Local() []netip.Addr {
	var out []netip.Addr
	for _, name := range h.Ifaces() {
		out = append(out, h.Addrs[name]...)
	}
	return out
}

// Ifaces lists the interfaces, sorted.
func (h *Host) Ifaces() []string {
	var names []string
	for n := range h.Addrs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// DefaultIface is the interface of the default route of a family (v6 for
// IPv6), or "".
func (h *Host) DefaultIface(v6 bool) string {
	for _, r := range h.Routes {
		if r.Default && r.Dst.Addr().Is6() == v6 {
			return r.Iface
		}
	}
	return ""
}

// OutsideIface is where traffic from outside most likely arrives: the
// default route's interface, else the first interface (by name) other
// than loopback with a global address of the family; "" when none.
func (h *Host) OutsideIface(v6 bool) string {
	if name := h.DefaultIface(v6); name != "" {
		return name
	}
	if names := h.OutsideIfaces(v6); len(names) > 0 {
		return names[0]
	}
	return ""
}

func (h *Host) loopback(name string) bool {
	for _, a := range h.Addrs[name] {
		if a.IsLoopback() {
			return true
		}
	}
	return false
}

// FirstAddr is the interface's first global address of a family.
func (h *Host) FirstAddr(iface string, v6 bool) (netip.Addr, bool) {
	for _, a := range h.Addrs[iface] {
		if a.Is6() == v6 && !a.IsLinkLocalUnicast() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// readAddrs lists the interfaces' addresses and IPv4 broadcast addresses.
func readAddrs() (map[string][]netip.Addr, []netip.Addr, error) {
	addrs := map[string][]netip.Addr{}
	var bcast []netip.Addr
	err := eachPrefix(func(iface string, p netip.Prefix) bool {
		addrs[iface] = append(addrs[iface], p.Addr())
		if b, ok := broadcast(p); ok {
			bcast = append(bcast, b)
		}
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	return addrs, bcast, nil
}

// BroadcastOf finds the subnet of this host, and its interface, whose
// IPv4 broadcast address a is.
func BroadcastOf(a netip.Addr) (subnet netip.Prefix, iface string, ok bool) {
	_ = eachPrefix(func(name string, p netip.Prefix) bool {
		if b, isB := broadcast(p); isB && b == a {
			subnet, iface, ok = p.Masked(), name, true
		}
		return !ok
	})
	return subnet, iface, ok
}

// eachPrefix calls f with every address of every interface, with its
// prefix, until f returns false.
func eachPrefix(f func(iface string, p netip.Prefix) bool) error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, ifc := range ifaces {
		list, err := ifc.Addrs()
		if err != nil {
			return err
		}
		for _, a := range list {
			if p, ok := prefixOf(a); ok && !f(ifc.Name, p) {
				return nil
			}
		}
	}
	return nil
}

// broadcast is the IPv4 broadcast address of p's subnet; /31 and /32
// have none.
func broadcast(p netip.Prefix) (netip.Addr, bool) {
	if !p.Addr().Is4() || p.Bits() >= 31 {
		return netip.Addr{}, false
	}
	return lastAddr(p), true
}

func prefixOf(a net.Addr) (netip.Prefix, bool) {
	n, ok := a.(*net.IPNet)
	if !ok {
		return netip.Prefix{}, false
	}
	addr, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(addr.Unmap(), bits), true
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// OutsideIfaces lists, sorted, the interfaces other than loopback with a
// global address of the family (v6 for IPv6).
func (h *Host) OutsideIfaces(v6 bool) []string {
	var out []string
	for _, name := range h.Ifaces() {
		if _, ok := h.FirstAddr(name, v6); ok && !h.loopback(name) {
			out = append(out, name)
		}
	}
	return out
}
