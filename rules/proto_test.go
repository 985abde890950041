package rules

import (
	"strings"
	"testing"
)

// netbase64 is netbase 6.4's /etc/protocols (Debian 12), names and
// aliases: a ruleset saved there may use any of them.
const netbase64 = `ip 0 IP;hopopt 0 HOPOPT;icmp 1 ICMP;igmp 2 IGMP;ggp 3 GGP;ipencap 4 IP-ENCAP;st 5 ST;tcp 6 TCP;egp 8 EGP;igp 9 IGP;pup 12 PUP;udp 17 UDP;hmp 20 HMP;xns-idp 22 XNS-IDP;rdp 27 RDP;iso-tp4 29 ISO-TP4;dccp 33 DCCP;xtp 36 XTP;ddp 37 DDP;idpr-cmtp 38 IDPR-CMTP;ipv6 41 IPv6;ipv6-route 43 IPv6-Route;ipv6-frag 44 IPv6-Frag;idrp 45 IDRP;rsvp 46 RSVP;gre 47 GRE;esp 50 IPSEC-ESP;ah 51 IPSEC-AH;skip 57 SKIP;ipv6-icmp 58 IPv6-ICMP;ipv6-nonxt 59 IPv6-NoNxt;ipv6-opts 60 IPv6-Opts;rspf 73 RSPF CPHB;vmtp 81 VMTP;eigrp 88 EIGRP;ospf 89 OSPFIGP;ax.25 93 AX.25;ipip 94 IPIP;etherip 97 ETHERIP;encap 98 ENCAP;pim 103 PIM;ipcomp 108 IPCOMP;vrrp 112 VRRP;l2tp 115 L2TP;isis 124 ISIS;sctp 132 SCTP;fc 133 FC;mobility-header 135 Mobility-Header;udplite 136 UDPLite;mpls-in-ip 137 MPLS-in-IP;manet 138;hip 139 HIP;shim6 140 Shim6;wesp 141 WESP;rohc 142 ROHC;ethernet 143 Ethernet`

func TestParseProtoNetbase(t *testing.T) {
	for _, line := range strings.Split(netbase64, ";") {
		f := strings.Fields(line)
		want, ok := parseProtoNumber(f[1])
		if !ok {
			t.Fatalf("bad test line %q", line)
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if got, ok := ParseProto(name); !ok || got != want {
				t.Errorf("ParseProto(%q) = %d, %v; want %d", name, got, ok, want)
			}
		}
	}
}

func TestParseProto(t *testing.T) {
	tests := []struct {
		in   string
		want uint8
		ok   bool
	}{
		{"tcp", 6, true},
		{"TCP", 6, true},
		{"all", 0, true},
		{"icmpv6", 58, true},
		{"ipv6-icmp", 58, true},
		{"IPv6-ICMP", 58, true},
		{"encap", 98, true},
		{"ipencap", 4, true},
		{"ipv4", 4, true},
		{"ipip", 94, true},
		{"ipv6-crypt", 50, true}, // older netbase
		{"ipv6-auth", 51, true},
		{"mh", 135, true}, // iptables' own
		{"ipv6-mh", 135, true},
		{"cbt", 7, true}, // Red Hat's full IANA list
		{"iptm", 84, true},
		{"nsh", 145, true},
		{"17", 17, true},
		{"0", 0, true},
		{"255", 255, true},
		{"0x11", 17, true}, // strtoul base 0, as iptables and nft
		{"0X11", 17, true},
		{"021", 17, true},
		{"256", 0, false},
		{"-1", 0, false},
		{"+6", 0, false},
		{"1_7", 0, false},
		{"0x", 0, false},
		{"08", 0, false},
		{"", 0, false},
		{"tcp ", 0, false},
		{"mptcp", 0, false}, // netbase's 262 is no IP protocol number
		{"bogus", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseProto(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseProto(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProtoName(t *testing.T) {
	tests := []struct {
		p    uint8
		want string
	}{
		{0, "hopopt"}, {1, "icmp"}, {4, "ipencap"}, {6, "tcp"}, {17, "udp"}, {50, "esp"},
		{58, "icmpv6"}, {94, "ipip"}, {98, "encap"}, {132, "sctp"}, {135, "mobility-header"},
		{136, "udplite"}, {7, "cbt"}, {61, "61"}, {146, "146"}, {253, "253"}, {255, "255"},
	}
	for _, tt := range tests {
		if got := ProtoName(tt.p); got != tt.want {
			t.Errorf("ProtoName(%d) = %q, want %q", tt.p, got, tt.want)
		}
	}
	// Every spelling reads back as its number, and no name is taken twice.
	seen := map[string]int{}
	for p := range 256 {
		if got, ok := ParseProto(ProtoName(uint8(p))); !ok || int(got) != p {
			t.Errorf("ParseProto(ProtoName(%d)) = %d, %v", p, got, ok)
		}
		for _, n := range protoNames[p] {
			if q, dup := seen[n]; dup {
				t.Errorf("name %q is protocol %d and %d", n, q, p)
			}
			seen[n] = p
			if n != strings.ToLower(n) {
				t.Errorf("name %q is not lower case", n)
			}
		}
	}
}
