package sockets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// sock_diag (linux/inet_diag.h): a dump request for one family and
// protocol returns an inet_diag_msg per socket in the wanted states.
const (
	diagReqLen    = 56 // struct inet_diag_req_v2
	diagMsgLen    = 72 // struct inet_diag_msg
	attrSkV6Only  = 11 // INET_DIAG_SKV6ONLY
	nlmsgHdrLen   = unix.NLMSG_HDRLEN
	diagRecvBytes = 64 << 10
)

// diagDump lists the sockets of one family and protocol in states (a bit
// mask of kernel states) over the netlink socket fd.
func diagDump(fd int, v6 bool, proto string) ([]Socket, error) {
	if err := unix.Sendto(fd, diagRequest(v6, proto), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag request: %w", err)
	}
	var out []Socket
	buf := make([]byte, diagRecvBytes)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("sock_diag: %w", err)
		}
		done, err := forMessages(buf[:n], func(typ uint16, data []byte) error {
			if typ == unix.NLMSG_ERROR {
				return fmt.Errorf("sock_diag: %w", netlinkErr(data))
			}
			if s, ok := parseDiagMsg(data, proto); ok && typ == unix.SOCK_DIAG_BY_FAMILY {
				out = append(out, s)
			}
			return nil
		})
		if done || err != nil {
			return out, err
		}
	}
}

func diagRequest(v6 bool, proto string) []byte {
	b := make([]byte, nlmsgHdrLen+diagReqLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	binary.NativeEndian.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(b[8:], 1) // sequence
	r := b[nlmsgHdrLen:]
	r[0], r[1] = unix.AF_INET, unix.IPPROTO_TCP
	if v6 {
		r[0] = unix.AF_INET6
	}
	states := uint32(1) << stateListen
	if proto == "udp" {
		r[1], states = unix.IPPROTO_UDP, 1<<stateClose
	}
	binary.NativeEndian.PutUint32(r[4:], states)
	return b
}

func netlinkErr(d []byte) error {
	if len(d) < 4 {
		return errors.New("short netlink error")
	}
	code := int32(binary.NativeEndian.Uint32(d))
	if code == 0 {
		return nil
	}
	return unix.Errno(-code)
}

// parseDiagMsg reads an inet_diag_msg and its attributes. A UDP socket
// with port 0 is not bound yet.
func parseDiagMsg(d []byte, proto string) (Socket, bool) {
	if len(d) < diagMsgLen {
		return Socket{}, false
	}
	v6 := d[0] == unix.AF_INET6
	s := Socket{
		Proto: proto, Family: familyName(v6),
		Port:    binary.BigEndian.Uint16(d[4:6]),
		ifindex: binary.NativeEndian.Uint32(d[40:44]),
		UID:     binary.NativeEndian.Uint32(d[64:68]),
		Inode:   uint64(binary.NativeEndian.Uint32(d[68:72])),
	}
	if v6 {
		s.Addr = netip.AddrFrom16([16]byte(d[8:24]))
		s.V6Only = boolPtr(false)
	} else {
		s.Addr = netip.AddrFrom4([4]byte(d[8:12]))
	}
	forAttrs(d[diagMsgLen:], func(typ uint16, val []byte) {
		if typ == attrSkV6Only && len(val) >= 1 && v6 {
			s.V6Only = boolPtr(val[0] != 0)
		}
	})
	return s, s.Port != 0
}

// forAttrs walks netlink attributes (struct rtattr, 4-byte aligned).
func forAttrs(b []byte, fn func(typ uint16, val []byte)) {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		if l < 4 || l > len(b) {
			return
		}
		fn(binary.NativeEndian.Uint16(b[2:]), b[4:l])
		b = b[min(len(b), (l+3)&^3):]
	}
}

// forMessages walks the netlink messages of one read; done reports
// NLMSG_DONE.
func forMessages(b []byte, fn func(typ uint16, data []byte) error) (done bool, err error) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b))
		if l < nlmsgHdrLen || l > len(b) {
			return false, errors.New("sock_diag: truncated message")
		}
		typ := binary.NativeEndian.Uint16(b[4:])
		if typ == unix.NLMSG_DONE {
			return true, nil
		}
		if err := fn(typ, b[nlmsgHdrLen:l]); err != nil {
			return false, err
		}
		b = b[min(len(b), (l+3)&^3):]
	}
	return false, nil
}
