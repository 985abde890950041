package sockets

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixtures were written by TestListMatchesSS -update from a lab
// target on a little-endian machine: listeners on 22 (IPv4 and IPv6 only),
// 8080 (dual-stack), 631 on loopback, 443 on 198.18.0.1 bound to eth0; UDP
// on 53, 127.0.0.53:5353, [::]:5354, [2001:db8::1]:123; and an established
// TCP connection and a connected UDP socket, which are not listed.
func TestParseProcNetFixtures(t *testing.T) {
	want := map[string][]string{
		"tcp":  {"127.0.0.1:631 1119896", "198.18.0.1:443 1119898", "0.0.0.0:22 1119887"},
		"tcp6": {"::1:631 1119897", ":::8080 1119895", ":::22 1119891"},
		"udp":  {"0.0.0.0:53 1119893", "127.0.0.53:5353 1119900"},
		"udp6": {":::53 1119894", "2001:db8::1:123 1119902", ":::5354 1119901"},
	}
	for name, w := range want {
		f, err := os.Open(filepath.Join("..", "..", "testdata", "proc", "net", name))
		if err != nil {
			t.Fatal(err)
		}
		v6, proto := strings.HasSuffix(name, "6"), strings.TrimSuffix(name, "6")
		ss, err := parseProcNet(f, proto, v6, binary.LittleEndian)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, s := range ss {
			if s.Proto != proto || s.Family != familyName(v6) || s.UID != 0 || s.V6Only != nil {
				t.Errorf("%s: %+v", name, s)
			}
			got = append(got, fmt.Sprintf("%s:%d %d", s.Addr, s.Port, s.Inode))
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s: got %q, want %q", name, got, w)
		}
	}
}

func TestParseProcNetErrors(t *testing.T) {
	head := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	for _, line := range []string{
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0",
		"   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
		"   0: 0100007F:XYZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
		"   0: 00000000000000000000000001000000:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
		"   0: 0100007F:0277 00000000:0000 ZZ 00000000:00000000 00:00000000 00000000     0        0 1 1",
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     x        0 1 1",
	} {
		if _, err := ParseProcNet(strings.NewReader(head+line+"\n"), "tcp", false); err == nil {
			t.Errorf("no error for %q", line)
		}
	}
	if ss, err := ParseProcNet(strings.NewReader(head), "tcp", false); err != nil || len(ss) != 0 {
		t.Errorf("header only: %v %v", ss, err)
	}
}

func TestServesAndLocal(t *testing.T) {
	off, on := false, true
	for _, tc := range []struct {
		s      Socket
		serves string
		local  string
	}{
		{Socket{Family: "ipv4", Addr: mustAddr("0.0.0.0"), Port: 22}, "ipv4", "0.0.0.0:22"},
		{Socket{Family: "ipv6", Addr: mustAddr("::"), Port: 22, V6Only: &on}, "ipv6", "[::]:22"},
		{Socket{Family: "ipv6", Addr: mustAddr("::"), Port: 80, V6Only: &off}, "ipv4,ipv6", "*:80"},
		{Socket{Family: "ipv6", Addr: mustAddr("::"), Port: 80}, "ipv6", "[::]:80"},
		{Socket{Family: "ipv6", Addr: mustAddr("::ffff:198.18.0.1"), Port: 80, V6Only: &off}, "ipv4", "[::ffff:198.18.0.1]:80"},
		{Socket{Family: "ipv6", Addr: mustAddr("::1"), Port: 631, V6Only: &off, Iface: "lo"}, "ipv6", "[::1]%lo:631"},
	} {
		if got := strings.Join(serves(tc.s), ","); got != tc.serves {
			t.Errorf("%+v serves %s, want %s", tc.s, got, tc.serves)
		}
		if got := tc.s.Local(); got != tc.local {
			t.Errorf("local %s, want %s", got, tc.local)
		}
	}
}
