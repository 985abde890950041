package probe

import (
	"encoding/binary"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// queuedError is one entry of a socket's error queue (IP_RECVERR).
type queuedError struct {
	errno  syscall.Errno
	origin uint8
	icmp   icmpError
	from   netip.Addr // the ICMP's sender
	ttl    uint8
	dst    netip.Addr // the original datagram's destination
	port   uint16     // and port
}

func (q queuedError) isICMP() bool {
	return q.origin == unix.SO_EE_ORIGIN_ICMP || q.origin == unix.SO_EE_ORIGIN_ICMP6
}

// readErrQueue takes one entry off fd's error queue.
func readErrQueue(fd int, oob []byte) (queuedError, bool) {
	var b [8]byte
	_, oobn, _, sa, err := unix.Recvmsg(fd, b[:], oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err != nil {
		return queuedError{}, false
	}
	q, ok := parseErrCmsgs(oob[:oobn])
	q.dst, q.port = addrPort(sa)
	return q, ok
}

func parseErrCmsgs(oob []byte) (queuedError, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return queuedError{}, false
	}
	var q queuedError
	found := false
	for _, m := range msgs {
		switch {
		case isRecvErr(m.Header) && len(m.Data) >= 16:
			q, found = decodeExtErr(m.Data, q.ttl), true
		case isTTL(m.Header) && len(m.Data) >= 4:
			q.ttl = uint8(binary.NativeEndian.Uint32(m.Data))
		}
	}
	return q, found
}

func isRecvErr(h unix.Cmsghdr) bool {
	return (h.Level == unix.IPPROTO_IP && h.Type == unix.IP_RECVERR) ||
		(h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_RECVERR)
}

func isTTL(h unix.Cmsghdr) bool {
	return (h.Level == unix.IPPROTO_IP && h.Type == unix.IP_TTL) ||
		(h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_HOPLIMIT)
}

// decodeExtErr decodes struct sock_extended_err and the offender address
// that follows it.
func decodeExtErr(d []byte, ttl uint8) queuedError {
	q := queuedError{errno: syscall.Errno(binary.NativeEndian.Uint32(d)), origin: d[4], ttl: ttl}
	q.icmp = icmpError{v6: q.origin == unix.SO_EE_ORIGIN_ICMP6, typ: d[5], code: d[6]}
	off := d[16:]
	if len(off) < 2 {
		return q
	}
	switch binary.NativeEndian.Uint16(off) {
	case unix.AF_INET:
		if len(off) >= 8 {
			q.from = netip.AddrFrom4([4]byte(off[4:8]))
		}
	case unix.AF_INET6:
		if len(off) >= 24 {
			q.from = netip.AddrFrom16([16]byte(off[8:24])).Unmap()
		}
	}
	return q
}

// ttlFromCmsgs finds the TTL or hop limit of a received datagram.
func ttlFromCmsgs(oob []byte) uint8 {
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		if isTTL(m.Header) && len(m.Data) >= 4 {
			return uint8(binary.NativeEndian.Uint32(m.Data))
		}
	}
	return 0
}

// overflowFromCmsgs finds the SO_RXQ_OVFL drop counter.
func overflowFromCmsgs(oob []byte) (uint32, bool) {
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}
