package reject

import (
	"strconv"
	"testing"
)

func TestByIptables(t *testing.T) {
	tests := []struct {
		arg  string
		v6   bool
		want string // "" when refused
	}{
		{"icmp-port-unreachable", false, "icmp-port-unreachable"},
		{"port-unreach", false, "icmp-port-unreachable"},
		{"port", false, "icmp-port-unreachable"},
		{"icmp-net", false, "icmp-net-unreachable"}, // first of net-unreachable, net-prohibited
		{"net-p", false, "icmp-net-prohibited"},
		{"h", false, "icmp-host-unreachable"},
		{"a", false, "icmp-admin-prohibited"},
		{"TCP-RST", false, "tcp-reset"},
		{"tcp-reset", true, "tcp-reset"},
		{"icmp6-adm", true, "icmp6-adm-prohibited"},
		{"adm-prohibited", true, "icmp6-adm-prohibited"},
		{"port-unreach", true, "icmp6-port-unreachable"},
		{"icmp6-port-unreachable", false, ""},
		{"icmp-admin-prohibited", true, ""},
		{"tcp-rst", true, ""}, // ip6tables' alias is tcp-reset
		{"", false, ""},
		{"echo-reply", false, ""},
	}
	for _, tt := range tests {
		got, ok := ByIptables(tt.arg, tt.v6)
		if ok != (tt.want != "") || got.Name != tt.want {
			t.Errorf("ByIptables(%q, v6=%v) = %q, %v; want %q", tt.arg, tt.v6, got.Name, ok, tt.want)
		}
	}
}

// TestKernelNumbers pins the table to the kernel's numbers: the xt
// REJECT enums, the ICMP codes and nft_reject's icmpx mapping.
func TestKernelNumbers(t *testing.T) {
	tests := []struct {
		name      string
		v6        bool
		xt        uint32
		typ, code uint8
		icmpx     int
	}{
		{"icmp-net-unreachable", false, 0, 3, 0, 0},
		{"icmp-host-unreachable", false, 1, 3, 1, 2},
		{"icmp-proto-unreachable", false, 2, 3, 2, -1},
		{"icmp-port-unreachable", false, 3, 3, 3, 1},
		{"icmp-net-prohibited", false, 5, 3, 9, -1},
		{"icmp-host-prohibited", false, 6, 3, 10, -1},
		{"tcp-reset", false, 7, 0, 0, -1},
		{"icmp-admin-prohibited", false, 8, 3, 13, 3},
		{"icmp6-no-route", true, 0, 1, 0, 0},
		{"icmp6-adm-prohibited", true, 1, 1, 1, 3},
		{"icmp6-addr-unreachable", true, 3, 1, 3, 2},
		{"icmp6-port-unreachable", true, 4, 1, 4, 1},
		{"tcp-reset", true, 6, 0, 0, -1},
		{"icmp6-policy-fail", true, 7, 1, 5, -1},
		{"icmp6-reject-route", true, 8, 1, 6, -1},
	}
	for _, tt := range tests {
		got, ok := ByXT(tt.v6, tt.xt)
		if !ok || got.Name != tt.name || got.ICMPType != tt.typ || got.Code != tt.code || got.ICMPX != tt.icmpx {
			t.Errorf("ByXT(v6=%v, %d) = %+v, %v; want %s type %d code %d icmpx %d", tt.v6, tt.xt, got, ok, tt.name, tt.typ, tt.code, tt.icmpx)
		}
		if tt.icmpx >= 0 {
			if x, ok := ByICMPX(tt.v6, uint8(tt.icmpx)); !ok || x.Name != tt.name {
				t.Errorf("ByICMPX(v6=%v, %d) = %q, %v; want %q", tt.v6, tt.icmpx, x.Name, ok, tt.name)
			}
		}
		if tt.typ != 0 {
			if c, ok := ByCode(tt.v6, tt.typ, tt.code); !ok || c.Name != tt.name {
				t.Errorf("ByCode(v6=%v, %d, %d) = %q, %v; want %q", tt.v6, tt.typ, tt.code, c.Name, ok, tt.name)
			}
		}
	}
	for _, miss := range []struct {
		v6 bool
		xt uint32
	}{{false, 4}, {false, 9}, {true, 2}, {true, 5}, {true, 9}} {
		if got, ok := ByXT(miss.v6, miss.xt); ok {
			t.Errorf("ByXT(v6=%v, %d) = %q, want none", miss.v6, miss.xt, got.Name)
		}
	}
}

func TestICMP(t *testing.T) {
	tests := []struct {
		name      string
		v6        bool
		typ, code uint8
		ok        bool
	}{
		{"icmp-port-unreachable", false, 3, 3, true},
		{"icmp-admin-prohibited", false, 3, 13, true},
		{"icmp6-adm-prohibited", true, 1, 1, true},
		{"icmp6-port-unreachable", true, 1, 4, true},
		// the other family's type: its icmpx counterpart
		{"icmp-port-unreachable", true, 1, 4, true},
		{"icmp-admin-prohibited", true, 1, 1, true},
		{"icmp-host-unreachable", true, 1, 3, true},
		{"icmp6-no-route", false, 3, 0, true},
		{"icmp-net-prohibited", true, 0, 0, false}, // no icmpx sends it
		{"tcp-reset", false, 0, 0, false},
		{"tcp-reset", true, 0, 0, false},
		{"icmp-unreachable-code-7", false, 3, 7, true},
		{"icmpv6-unreachable-code-2", true, 1, 2, true},
		{"icmpv6-unreachable-code-2", false, 0, 0, false},
		{"icmp-unreachable-code-07", false, 0, 0, false},
		{"icmp-unreachable-code-256", false, 0, 0, false},
		{"", false, 0, 0, false},
		{"bogus", true, 0, 0, false},
	}
	for _, tt := range tests {
		typ, code, ok := ICMP(tt.name, tt.v6)
		if typ != tt.typ || code != tt.code || ok != tt.ok {
			t.Errorf("ICMP(%q, v6=%v) = %d, %d, %v; want %d, %d, %v", tt.name, tt.v6, typ, code, ok, tt.typ, tt.code, tt.ok)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		v6   bool
		code uint8
		want string
	}{
		{false, 3, "icmp-port-unreachable"},
		{false, 13, "icmp-admin-prohibited"},
		{false, 0, "icmp-net-unreachable"}, // not tcp-reset, which has code 0 too
		{false, 4, "icmp-unreachable-code-4"},
		{true, 1, "icmp6-adm-prohibited"},
		{true, 2, "icmpv6-unreachable-code-2"},
	}
	for _, tt := range tests {
		got := Name(tt.v6, tt.code)
		if got != tt.want {
			t.Errorf("Name(v6=%v, %d) = %q, want %q", tt.v6, tt.code, got, tt.want)
		}
		if typ, code, ok := ICMP(got, tt.v6); !ok || code != tt.code || typ != unreachType(tt.v6) {
			t.Errorf("ICMP(Name(v6=%v, %d)) = %d, %d, %v", tt.v6, tt.code, typ, code, ok)
		}
	}
}

func TestICMPName(t *testing.T) {
	tests := []struct {
		v6        bool
		typ, code uint8
		want      string
	}{
		{false, 3, 3, "port-unreachable"},
		{false, 3, 2, "prot-unreachable"},
		{false, 3, 4, "frag-needed"},
		{false, 3, 13, "admin-prohibited"},
		{false, 3, 5, "icmp-3-5"},
		{false, 11, 0, "icmp-11-0"},
		{true, 1, 1, "admin-prohibited"},
		{true, 1, 2, "beyond-scope"},
		{true, 1, 3, "addr-unreachable"},
		{true, 1, 7, "icmpv6-1-7"},
		{true, 3, 0, "icmpv6-3-0"},
		{true, 3, 3, "icmpv6-3-3"}, // only destination unreachable has names
	}
	for _, tt := range tests {
		if got := ICMPName(tt.v6, tt.typ, tt.code); got != tt.want {
			t.Errorf("ICMPName(v6=%v, %d, %d) = %q, want %q", tt.v6, tt.typ, tt.code, got, tt.want)
		}
	}
}

func TestNftNames(t *testing.T) {
	for _, tt := range []struct {
		v6   bool
		want string
	}{
		{false, "net-unreachable:0 host-unreachable:1 prot-unreachable:2 port-unreachable:3 net-prohibited:9 host-prohibited:10 admin-prohibited:13 frag-needed:4"},
		{true, "no-route:0 admin-prohibited:1 addr-unreachable:3 port-unreachable:4 policy-fail:5 reject-route:6"},
	} {
		got := ""
		for i, c := range NftCodes(tt.v6) {
			if i > 0 {
				got += " "
			}
			got += c.Name + ":" + strconv.Itoa(int(c.Code))
		}
		if got != tt.want {
			t.Errorf("NftCodes(v6=%v) = %s\nwant %s", tt.v6, got, tt.want)
		}
	}
	for _, tt := range []struct {
		v6   bool
		name string
		want string
	}{
		{false, "admin-prohibited", "icmp-admin-prohibited"},
		{true, "admin-prohibited", "icmp6-adm-prohibited"},
		{true, "addr-unreachable", "icmp6-addr-unreachable"},
		{false, "addr-unreachable", ""},
		{false, "frag-needed", ""},
		{false, "", ""},
	} {
		got, ok := ByNft(tt.v6, tt.name)
		if ok != (tt.want != "") || got.Name != tt.want {
			t.Errorf("ByNft(v6=%v, %q) = %q, %v; want %q", tt.v6, tt.name, got.Name, ok, tt.want)
		}
	}
	for code, name := range []string{"no-route", "port-unreachable", "host-unreachable", "admin-prohibited"} {
		if n, ok := ICMPXName(uint8(code)); !ok || n != name {
			t.Errorf("ICMPXName(%d) = %q, %v", code, n, ok)
		}
		if c, ok := ICMPXCode(name); !ok || int(c) != code {
			t.Errorf("ICMPXCode(%q) = %d, %v", name, c, ok)
		}
	}
	if _, ok := ICMPXName(4); ok {
		t.Error("ICMPXName(4) has a name")
	}
}

func TestInFamily(t *testing.T) {
	tests := []struct {
		name string
		v6   bool
		want string
	}{
		{"icmp-port-unreachable", true, "icmp6-port-unreachable"},
		{"icmp-admin-prohibited", true, "icmp6-adm-prohibited"},
		{"icmp-host-unreachable", true, "icmp6-addr-unreachable"},
		{"icmp6-port-unreachable", false, "icmp-port-unreachable"},
		{"icmp6-no-route", false, "icmp-net-unreachable"},
		{"icmp-port-unreachable", false, "icmp-port-unreachable"},
		{"icmp6-adm-prohibited", true, "icmp6-adm-prohibited"},
		{"tcp-reset", true, "tcp-reset"},
		{"tcp-reset", false, "tcp-reset"},
		{"icmp-net-prohibited", true, "icmp-net-prohibited"}, // no icmpx sends it: as written
		{"icmpv6-unreachable-code-2", true, "icmpv6-unreachable-code-2"},
		{"bogus", true, "bogus"},
	}
	for _, tt := range tests {
		if got := InFamily(tt.name, tt.v6); got != tt.want {
			t.Errorf("InFamily(%q, v6=%v) = %q, want %q", tt.name, tt.v6, got, tt.want)
		}
		// The name must send what the model's name sends.
		typ, code, ok := ICMP(tt.name, tt.v6)
		if gt, gc, gok := ICMP(InFamily(tt.name, tt.v6), tt.v6); gt != typ || gc != code || gok != ok {
			t.Errorf("InFamily(%q, v6=%v) sends %d/%d, the name %d/%d", tt.name, tt.v6, gt, gc, typ, code)
		}
	}
}
