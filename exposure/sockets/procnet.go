package sockets

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Kernel socket states (include/net/tcp_states.h).
const (
	stateClose  = 0x07 // an unconnected UDP socket
	stateListen = 0x0a
)

// ParseProcNet reads /proc/net/tcp, tcp6, udp or udp6 (proto "tcp" or
// "udp", v6 for the *6 files) and returns the listening TCP and bound,
// unconnected UDP sockets. The addresses are in the byte order of the
// machine that wrote the file, taken to be this one's. The files carry no
// v6only flag, so V6Only stays nil.
func ParseProcNet(r io.Reader, proto string, v6 bool) ([]Socket, error) {
	return parseProcNet(r, proto, v6, binary.NativeEndian)
}

func parseProcNet(r io.Reader, proto string, v6 bool, order binary.ByteOrder) ([]Socket, error) {
	var out []Socket
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if n == 1 || len(f) == 0 {
			continue // header
		}
		s, keep, err := parseProcLine(f, proto, v6, order)
		if err != nil {
			return nil, fmt.Errorf("parse /proc/net/%s line %d: %w", procFile(proto, v6), n, err)
		}
		if keep {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

func procFile(proto string, v6 bool) string {
	if v6 {
		return proto + "6"
	}
	return proto
}

// parseProcLine reads "sl local rem st queues tr retrnsmt uid timeout
// inode ...".
func parseProcLine(f []string, proto string, v6 bool, order binary.ByteOrder) (Socket, bool, error) {
	if len(f) < 10 {
		return Socket{}, false, fmt.Errorf("%d fields", len(f))
	}
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return Socket{}, false, fmt.Errorf("state %q", f[3])
	}
	addr, port, err := parseHexAddrPort(f[1], v6, order)
	if err != nil {
		return Socket{}, false, err
	}
	want := (proto == "tcp" && st == stateListen) || (proto == "udp" && st == stateClose && port != 0)
	uid, err1 := strconv.ParseUint(f[7], 10, 32)
	inode, err2 := strconv.ParseUint(f[9], 10, 64)
	if err1 != nil || err2 != nil {
		return Socket{}, false, fmt.Errorf("uid %q or inode %q", f[7], f[9])
	}
	s := Socket{Proto: proto, Family: familyName(v6), Addr: addr, Port: port, UID: uint32(uid), Inode: inode}
	return s, want, nil
}

func familyName(v6 bool) string {
	if v6 {
		return "ipv6"
	}
	return "ipv4"
}

// parseHexAddrPort reads "0100007F:0016": the address as 32-bit words in
// host order, the port in hex.
func parseHexAddrPort(s string, v6 bool, order binary.ByteOrder) (netip.Addr, uint16, error) {
	a, p, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(a)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) || (len(raw) == 16) != v6 {
		return netip.Addr{}, 0, fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("port %q", s)
	}
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		order.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(b)
	return addr, uint16(port), nil
}
