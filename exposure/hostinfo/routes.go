package hostinfo

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

// ParseRoutes4 parses /proc/net/route.
func ParseRoutes4(r io.Reader) ([]Route, error) {
	var out []Route
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if n == 1 || len(f) == 0 {
			continue // header
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("route line %d: %d fields: %q", n, len(f), sc.Text())
		}
		dst, err1 := hexAddr4(f[1])
		mask, err2 := hexAddr4(f[7])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("route line %d: bad address: %q", n, sc.Text())
		}
		bits := popcount(mask)
		out = append(out, Route{Dst: netip.PrefixFrom(dst, bits), Iface: f[0], Default: bits == 0})
	}
	return out, sc.Err()
}

// hexAddr4 decodes the little-endian hex of /proc/net/route.
func hexAddr4(s string) (netip.Addr, error) {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return netip.Addr{}, err
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return netip.AddrFrom4(b), nil
}

func popcount(a netip.Addr) int {
	n := 0
	for _, b := range a.AsSlice() {
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return n
}

// ParseRoutes6 parses /proc/net/ipv6_route, skipping the kernel's
// unreachable and loopback entries.
func ParseRoutes6(r io.Reader) ([]Route, error) {
	var out []Route
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 10 {
			return nil, fmt.Errorf("ipv6_route line %d: %d fields: %q", n, len(f), sc.Text())
		}
		rt, err := route6(f)
		if err != nil {
			return nil, fmt.Errorf("ipv6_route line %d: %w: %q", n, err, sc.Text())
		}
		if f[9] != "lo" {
			out = append(out, rt)
		}
	}
	return out, sc.Err()
}

func route6(f []string) (Route, error) {
	raw, err := hex.DecodeString(f[0])
	if err != nil || len(raw) != 16 {
		return Route{}, fmt.Errorf("bad destination")
	}
	bits, err := strconv.ParseUint(f[1], 16, 8)
	if err != nil || bits > 128 {
		return Route{}, fmt.Errorf("bad prefix length")
	}
	p := netip.PrefixFrom(netip.AddrFrom16([16]byte(raw)), int(bits))
	return Route{Dst: p, Iface: f[9], Default: bits == 0}, nil
}
