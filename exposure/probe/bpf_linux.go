package probe

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Raw sockets see every TCP or ICMP packet of the namespace; these
// classic BPF filters keep only replies to this run's source port, so a
// busy host's traffic never reaches the reader. Every packet they pass is
// still validated in full (cookie included).

type bpfProg struct {
	ins     []unix.SockFilter
	rejects []int // jumps to patch to the final "drop"
}

func (p *bpfProg) op(code uint16, k uint32) {
	p.ins = append(p.ins, unix.SockFilter{Code: code, K: k})
}

// want continues when A equals one of ks and drops the packet otherwise.
func (p *bpfProg) want(ks ...uint32) {
	for n, k := range ks {
		jt := uint8(len(ks) - 1 - n) // past the other comparisons
		p.ins = append(p.ins, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: jt, K: k})
		if n == len(ks)-1 {
			p.rejects = append(p.rejects, len(p.ins)-1)
		}
	}
}

func (p *bpfProg) finish() []unix.SockFilter {
	p.op(unix.BPF_RET|unix.BPF_K, 0xffff)
	p.op(unix.BPF_RET|unix.BPF_K, 0)
	last := len(p.ins) - 1
	for _, i := range p.rejects {
		p.ins[i].Jf = uint8(last - i - 1)
	}
	return p.ins
}

const (
	ldW    = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	ldH    = unix.BPF_LD | unix.BPF_H | unix.BPF_ABS
	ldB    = unix.BPF_LD | unix.BPF_B | unix.BPF_ABS
	ldHX   = unix.BPF_LD | unix.BPF_H | unix.BPF_IND
	ldWX   = unix.BPF_LD | unix.BPF_W | unix.BPF_IND
	ldBX   = unix.BPF_LD | unix.BPF_B | unix.BPF_IND
	ldxIHL = unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH
)

// tcp4Filter: from dst (the IPv4 header is in the packet), to sport.
func tcp4Filter(dst netip.Addr, sport uint16) []unix.SockFilter {
	var p bpfProg
	p.op(ldW, 12)
	p.want(be32(dst.As4()))
	p.op(ldxIHL, 0)
	p.op(ldHX, 2)
	p.want(uint32(sport))
	return p.finish()
}

// tcp6Filter: to sport (IPv6 raw sockets see no IP header; the kernel
// checks the addresses the socket is bound to, the reader the sender).
func tcp6Filter(sport uint16) []unix.SockFilter {
	var p bpfProg
	p.op(ldH, 2)
	p.want(uint32(sport))
	return p.finish()
}

// icmp4Filter: an unreachable or time exceeded quoting a TCP packet to dst
// from sport.
func icmp4Filter(dst netip.Addr, sport uint16) []unix.SockFilter {
	var p bpfProg
	p.op(ldxIHL, 0)
	p.op(ldBX, 0)
	p.want(3, 11)
	p.op(ldWX, 8+16)
	p.want(be32(dst.As4()))
	p.op(ldBX, 8+9)
	p.want(protoTCP)
	p.op(ldBX, 8) // quoted header's version and length
	p.op(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, 0x0f)
	p.op(unix.BPF_ALU|unix.BPF_LSH|unix.BPF_K, 2)
	p.op(unix.BPF_ALU|unix.BPF_ADD|unix.BPF_X, 0)
	p.op(unix.BPF_MISC|unix.BPF_TAX, 0)
	p.op(ldHX, 8)
	p.want(uint32(sport))
	return p.finish()
}

// icmp6Filter: an unreachable or time exceeded quoting a TCP packet to dst
// from sport (extension headers are not followed).
func icmp6Filter(dst netip.Addr, sport uint16) []unix.SockFilter {
	var p bpfProg
	p.op(ldB, 0)
	p.want(1, 3)
	p.op(ldB, 8+6)
	p.want(protoTCP)
	a := dst.As16()
	for i := 0; i < 16; i += 4 {
		p.op(ldW, uint32(8+24+i))
		p.want(be32([4]byte(a[i : i+4])))
	}
	p.op(ldH, 8+40)
	p.want(uint32(sport))
	return p.finish()
}

func be32(b [4]byte) uint32 { return binary.BigEndian.Uint32(b[:]) }

func attachFilter(fd int, ins []unix.SockFilter) error {
	prog := unix.SockFprog{Len: uint16(len(ins)), Filter: &ins[0]}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
}
