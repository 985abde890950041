package probe_test

import (
	"fmt"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

var (
	wantTCP4 = []want{
		{22, probe.Open, "syn-ack"},
		{23, probe.Stealth, "no-response"},
		{80, probe.Closed, "reset"},
		{81, probe.Closed, "reset"},
		{82, probe.Rejected, "port-unreachable"},
		{83, probe.Rejected, "admin-prohibited"},
		{84, probe.Rejected, "host-unreachable"},
		{85, probe.Rejected, "net-unreachable"},
		{86, probe.Rejected, "host-prohibited"},
		{87, probe.Rejected, "net-prohibited"},
		{88, probe.Rejected, "prot-unreachable"},
		{9999, probe.Stealth, "no-response"},
	}
	wantUDP4 = []want{
		{53, probe.Open, "reply"},
		{54, probe.Closed, "port-unreachable"},
		{55, probe.Closed, "port-unreachable"},
		{56, probe.Stealth, "no-response"},
		{57, probe.Rejected, "admin-prohibited"},
		{58, probe.Rejected, "host-unreachable"},
		{59, probe.Rejected, "net-unreachable"},
		{60, probe.Rejected, "prot-unreachable"},
		{61, probe.Rejected, "host-prohibited"},
		{62, probe.Rejected, "net-prohibited"},
	}
	wantTCP6 = []want{
		{22, probe.Open, "syn-ack"},
		{23, probe.Stealth, "no-response"},
		{80, probe.Closed, "reset"},
		{81, probe.Closed, "reset"},
		{82, probe.Rejected, "port-unreachable"},
		{83, probe.Rejected, "admin-prohibited"},
		{84, probe.Rejected, "addr-unreachable"},
		{85, probe.Rejected, "no-route"},
		{86, probe.Rejected, "policy-fail"},
		{87, probe.Rejected, "reject-route"},
		{9999, probe.Stealth, "no-response"},
	}
	wantUDP6 = []want{
		{53, probe.Open, "reply"},
		{54, probe.Closed, "port-unreachable"},
		{55, probe.Closed, "port-unreachable"},
		{56, probe.Stealth, "no-response"},
		{57, probe.Rejected, "admin-prohibited"},
		{58, probe.Rejected, "addr-unreachable"},
		{59, probe.Rejected, "no-route"},
		{60, probe.Rejected, "policy-fail"},
		{61, probe.Rejected, "reject-route"},
	}
)

// TestStates produces every state from real iptables rules and checks that
// both modes classify each port, TCP and UDP, IPv4 and IPv6.
func TestStates(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	load(t, l, false, testRuleset(t, "reject-kinds.v4"))
	load(t, l, true, testRuleset(t, "reject-kinds.v6"))
	listen(t, l, "tcp", 22, 23)
	listen(t, l, "udp", 53)
	for _, mode := range []probe.Mode{probe.ModeSyn, probe.ModeConnect} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			check(t, l, false, mode, "tcp", wantTCP4)
			check(t, l, true, mode, "tcp", wantTCP6)
			check(t, l, false, mode, "udp", wantUDP4)
			check(t, l, true, mode, "udp", wantUDP6)
		})
	}
}

const nftRules = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif lo accept
		meta l4proto ipv6-icmp accept
		tcp dport 22 accept
		tcp dport 80 accept
		tcp dport 23 reject with tcp reset
		tcp dport 24 reject with icmpx type admin-prohibited
		tcp dport 25 reject
		tcp dport 26 reject with icmpx type host-unreachable
		udp dport 53 accept
		udp dport 54 accept
		udp dport 55 reject
		udp dport 57 reject with icmpx type admin-prohibited
	}
}
`

// TestStatesNft does the same with an nftables inet table, whose icmpx
// types map to ICMP or ICMPv6 by family.
func TestStatesNft(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	if err := l.LoadNft(t.Context(), stringsReader(nftRules)); err != nil {
		t.Fatal(err)
	}
	listen(t, l, "tcp", 22)
	listen(t, l, "udp", 53)
	hostUnreach := map[bool]string{false: "host-unreachable", true: "addr-unreachable"}
	for _, mode := range []probe.Mode{probe.ModeSyn, probe.ModeConnect} {
		for _, v6 := range []bool{false, true} {
			check(t, l, v6, mode, "tcp", []want{
				{22, probe.Open, "syn-ack"}, {23, probe.Closed, "reset"},
				{24, probe.Rejected, "admin-prohibited"}, {25, probe.Rejected, "port-unreachable"},
				{26, probe.Rejected, hostUnreach[v6]}, {27, probe.Stealth, "no-response"},
				{80, probe.Closed, "reset"},
			})
			check(t, l, v6, mode, "udp", []want{
				{53, probe.Open, "reply"}, {54, probe.Closed, "port-unreachable"},
				{55, probe.Closed, "port-unreachable"}, {56, probe.Stealth, "no-response"},
				{57, probe.Rejected, "admin-prohibited"},
			})
		}
	}
}
