package probe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// socketIn opens a non-blocking socket inside the prober's namespace.
func socketIn(ns Netns, domain, typ, proto int) (int, error) {
	fd := -1
	err := ns(func() (err error) {
		fd, err = unix.Socket(domain, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("open socket: %w", err)
	}
	return fd, nil
}

func family(v6 bool) int {
	if v6 {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

func sockaddr(a netip.Addr, port uint16) unix.Sockaddr {
	if a.Is4() {
		return &unix.SockaddrInet4{Addr: a.As4(), Port: int(port)}
	}
	return &unix.SockaddrInet6{Addr: a.As16(), Port: int(port)}
}

func addrPort(sa unix.Sockaddr) (netip.Addr, uint16) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr), uint16(sa.Port)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)
	}
	return netip.Addr{}, 0
}

// setRecvErr queues ICMP errors with their type, code and sender, and
// delivers the TTL (hop limit) of what arrives.
func setRecvErr(fd int, v6 bool) error {
	if v6 {
		return errors.Join(
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1),
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1))
	}
	return errors.Join(
		unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1),
		unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVTTL, 1))
}

// setReceiveQueue makes room for a burst of replies (SO_RCVBUFFORCE when
// allowed) and counts what still overflows (SO_RXQ_OVFL).
func setReceiveQueue(fd int) error {
	const size = 16 << 20
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size) // capped at rmem_max
	}
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
}

// routeSource is the address the prober's kernel sends from to dst. A
// connected UDP socket sends nothing.
func routeSource(ns Netns, dst netip.Addr) (netip.Addr, error) {
	fd, err := socketIn(ns, family(dst.Is6()), unix.SOCK_DGRAM, 0)
	if err != nil {
		return netip.Addr{}, err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, sockaddr(dst, 9)); err != nil {
		return netip.Addr{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	a, _ := addrPort(sa)
	return a, nil
}

// localAddrs lists the prober's own addresses: an ICMP error from one of
// them comes from the prober's kernel, not from the path to the target.
func localAddrs(ns Netns) (map[netip.Addr]bool, error) {
	out := map[netip.Addr]bool{}
	err := ns(func() error {
		addrs, err := net.InterfaceAddrs()
		for _, a := range addrs {
			if p, perr := netip.ParsePrefix(a.String()); perr == nil {
				out[p.Addr().Unmap()] = true
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list local addresses: %w", err)
	}
	return out, nil
}

// bindSource binds fd to src and port (0: the kernel picks the port).
func bindSource(fd int, src netip.Addr, port uint16) error {
	if err := unix.Bind(fd, sockaddr(src, port)); err != nil {
		return fmt.Errorf("bind %s: %w", netip.AddrPortFrom(src, port), err)
	}
	return nil
}
