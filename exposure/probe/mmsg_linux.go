package probe

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsgBatch sends many datagrams to one address with sendmmsg(2): one
// system call for up to len(hdrs) packets, which halves the cost of a
// SYN on a fast path.
type mmsgBatch struct {
	hdrs []unix.Mmsghdr
	iovs []unix.Iovec
	buf  []byte
	ends []int
	sa4  unix.RawSockaddrInet4
	sa6  unix.RawSockaddrInet6
}

func newMmsgBatch(n int) *mmsgBatch {
	return &mmsgBatch{hdrs: make([]unix.Mmsghdr, n), iovs: make([]unix.Iovec, n)}
}

func (m *mmsgBatch) reset() { m.buf, m.ends = m.buf[:0], m.ends[:0] }

// add appends one packet built by build.
func (m *mmsgBatch) add(build func([]byte) []byte) {
	m.buf = build(m.buf)
	m.ends = append(m.ends, len(m.buf))
}

// send sends the packets to dst on fd; it returns how many went and the
// error that stopped the rest.
func (m *mmsgBatch) send(fd int, dst unix.Sockaddr) (int, error) {
	name, namelen := m.name(dst)
	start := 0
	for k, end := range m.ends {
		m.iovs[k] = unix.Iovec{Base: &m.buf[start]}
		m.iovs[k].SetLen(end - start)
		m.hdrs[k] = unix.Mmsghdr{}
		m.hdrs[k].Hdr.Name, m.hdrs[k].Hdr.Namelen = name, namelen
		m.hdrs[k].Hdr.Iov = &m.iovs[k]
		m.hdrs[k].Hdr.SetIovlen(1)
		start = end
	}
	sent := 0
	for sent < len(m.ends) {
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&m.hdrs[sent])), uintptr(len(m.ends)-sent), 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return sent, fmt.Errorf("send: %w", errno)
		}
		sent += int(n)
	}
	return sent, nil
}

func (m *mmsgBatch) name(dst unix.Sockaddr) (*byte, uint32) {
	switch a := dst.(type) {
	case *unix.SockaddrInet4:
		m.sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Addr}
		return (*byte)(unsafe.Pointer(&m.sa4)), unix.SizeofSockaddrInet4
	case *unix.SockaddrInet6:
		m.sa6 = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.Addr}
		return (*byte)(unsafe.Pointer(&m.sa6)), unix.SizeofSockaddrInet6
	}
	return nil, 0
}
