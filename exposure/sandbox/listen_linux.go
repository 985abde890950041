package sandbox

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

type listenKey struct {
	ns    string
	proto string
	port  uint16
}

// listener is one port's stand-in service: a socket per family.
type listener struct {
	socks []io.Closer
	wg    sync.WaitGroup
}

func (ln *listener) stop() {
	for _, s := range ln.socks {
		s.Close()
	}
	ln.wg.Wait()
}

// Listen starts stand-in services on ports in the target: for each port one
// IPv4 socket on 0.0.0.0 and one IPv6-only socket on [::] (when the lab has
// IPv6), so rules that differ per family are seen as they are. TCP accepts
// and closes at once (with RST, so no TIME_WAIT); UDP echoes every datagram
// back from the address it was sent to. Ports already listening are kept.
// Listeners stay until StopListening or Close.
func (l *Lab) Listen(proto string, ports []uint16) error {
	return l.ListenIn(l.Target, proto, ports)
}

// ListenIn is Listen in another of the lab's namespaces (the backend).
func (l *Lab) ListenIn(ns, proto string, ports []uint16) error {
	if proto != "tcp" && proto != "udp" {
		return fmt.Errorf("listen: unknown protocol %q", proto)
	}
	v6 := l.TargetAddr(true).IsValid()
	var started []*listener
	var keys []listenKey
	err := l.Do(ns, func() error {
		for _, p := range ports {
			k := listenKey{ns, proto, p}
			if p == 0 || l.hasListener(k) || containsKey(keys, k) {
				continue
			}
			ln, err := openListener(proto, p, v6)
			if err != nil {
				return err
			}
			started, keys = append(started, ln), append(keys, k)
		}
		return nil
	})
	if err == nil {
		err = l.addListeners(keys, started)
	}
	if err != nil {
		for _, ln := range started {
			ln.stop()
		}
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

func containsKey(keys []listenKey, k listenKey) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

func (l *Lab) hasListener(k listenKey) bool {
	l.sys.mu.Lock()
	defer l.sys.mu.Unlock()
	return l.sys.listeners[k] != nil
}

func (l *Lab) addListeners(keys []listenKey, lns []*listener) error {
	l.sys.mu.Lock()
	defer l.sys.mu.Unlock()
	if l.sys.closed {
		return errors.New("lab closed")
	}
	if l.sys.listeners == nil {
		l.sys.listeners = map[listenKey]*listener{}
	}
	for i, k := range keys {
		l.sys.listeners[k] = lns[i]
	}
	return nil
}

// StopListening closes the stand-in services on ports (missing ones are
// ignored).
func (l *Lab) StopListening(proto string, ports []uint16) {
	l.StopListeningIn(l.Target, proto, ports)
}

// StopListeningIn is StopListening in another of the lab's namespaces.
func (l *Lab) StopListeningIn(ns, proto string, ports []uint16) {
	var stop []*listener
	var stopped []uint16
	l.sys.mu.Lock()
	for _, p := range ports {
		k := listenKey{ns, proto, p}
		if ln := l.sys.listeners[k]; ln != nil {
			stop, stopped = append(stop, ln), append(stopped, p)
			delete(l.sys.listeners, k)
		}
	}
	l.sys.mu.Unlock()
	for _, ln := range stop {
		ln.stop()
	}
	if len(stopped) > 0 {
		l.Do(ns, func() error {
			waitReleased(proto, stopped, l.TargetAddr(true).IsValid())
			return nil
		})
	}
}

// waitReleased waits, at most a second, until ports can be bound again in the
// calling thread's namespace. A closed socket lingers while a child forked
// elsewhere in the process still holds it between fork and exec, and a probe
// then still finds the port listening.
func waitReleased(proto string, ports []uint16, v6 bool) {
	deadline := time.Now().Add(time.Second)
	for _, p := range ports {
		for !canBind(proto, p, false) || (v6 && !canBind(proto, p, true)) {
			if time.Now().After(deadline) {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// canBind binds a throw-away socket to the port on the wildcard address.
// SO_REUSEADDR lets TCP bind beside connections but not beside a listener.
func canBind(proto string, port uint16, v6 bool) bool {
	domain, typ := unix.AF_INET, unix.SOCK_STREAM
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(port)}
	if v6 {
		domain, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(port)}
	}
	if proto == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return true // nothing to wait for that could be seen
	}
	defer unix.Close(fd)
	if v6 {
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if typ == unix.SOCK_STREAM {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	return unix.Bind(fd, sa) == nil
}

// openListener must run inside the target namespace: the sockets are created
// on the calling thread.
func openListener(proto string, port uint16, v6 bool) (*listener, error) {
	ln := &listener{}
	fams := []bool{false}
	if v6 {
		fams = append(fams, true)
	}
	for _, is6 := range fams {
		var err error
		if proto == "tcp" {
			err = ln.startTCP(port, is6)
		} else {
			err = ln.startUDP(port, is6)
		}
		if err != nil {
			ln.stop()
			return nil, err
		}
	}
	return ln, nil
}

func (ln *listener) startTCP(port uint16, v6 bool) error {
	network, ip := "tcp4", net.IPv4zero
	if v6 {
		network, ip = "tcp6", net.IPv6unspecified // "tcp6" sets IPV6_V6ONLY
	}
	s, err := net.ListenTCP(network, &net.TCPAddr{IP: ip, Port: int(port)})
	if err != nil {
		return err
	}
	ln.socks = append(ln.socks, s)
	ln.wg.Go(func() { acceptLoop(s) })
	return nil
}

func acceptLoop(s *net.TCPListener) {
	for {
		c, err := s.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		c.SetLinger(0)
		c.Close()
	}
}

func (ln *listener) startUDP(port uint16, v6 bool) error {
	network, ip := "udp4", net.IPv4zero
	if v6 {
		network, ip = "udp6", net.IPv6unspecified
	}
	s, err := net.ListenUDP(network, &net.UDPAddr{IP: ip, Port: int(port)})
	if err != nil {
		return err
	}
	ln.socks = append(ln.socks, s)
	if err := setPktinfo(s, v6); err != nil {
		return err
	}
	ln.wg.Go(func() { echoLoop(s, v6) })
	return nil
}

func setPktinfo(s *net.UDPConn, v6 bool) error {
	rc, err := s.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if v6 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
		} else {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
		}
	})
	return errors.Join(err, serr)
}

// echoLoop answers every datagram from the address it was sent to, so a
// prober's connected socket accepts the reply whatever the target's
// addresses are.
func echoLoop(s *net.UDPConn, v6 bool) {
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for {
		n, oobn, _, from, err := s.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.WriteMsgUDPAddrPort(buf[:n], replyPktinfo(oob[:oobn], v6), from)
	}
}

// replyPktinfo turns the received packet-info control message into one that
// sends from the packet's destination address.
func replyPktinfo(oob []byte, v6 bool) []byte {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	for _, m := range msgs {
		switch {
		case !v6 && m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= 12:
			var info unix.Inet4Pktinfo
			copy(info.Spec_dst[:], m.Data[8:12]) // ipi_addr: the header's destination
			return unix.PktInfo4(&info)
		case v6 && m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_PKTINFO && len(m.Data) >= 16:
			var info unix.Inet6Pktinfo
			copy(info.Addr[:], m.Data[:16])
			if a := netip.AddrFrom16(info.Addr); a.IsLinkLocalUnicast() && len(m.Data) >= 20 {
				info.Ifindex = nativeUint32(m.Data[16:20])
			}
			return unix.PktInfo6(&info)
		}
	}
	return nil
}
