package sandbox

import (
	"net/netip"
	"slices"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	p := netip.MustParsePrefix
	good := Config{}.withDefaults(true)
	if err := good.validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := []Config{
		{TargetIface: "lo"},
		{TargetIface: "a/b"},
		{TargetIface: "much-too-long-name"},
		{TargetAddrs: []netip.Prefix{p("10.0.0.1/24")}},
		{TargetAddrs: []netip.Prefix{p("198.20.0.1/24")}},
		{TargetAddrs: []netip.Prefix{p("198.18.0.1/8")}},
		{ProberAddrs: []netip.Prefix{p("2001:db9::2/64")}},
		{ProberAddrs: []netip.Prefix{p("fe80::2/64")}},
		{ProberAddrs: []netip.Prefix{p("198.18.0.1/24")}}, // same as the target
	}
	for _, c := range bad {
		if err := c.withDefaults(true).validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if c := (Config{}).withDefaults(false); len(c.TargetAddrs) != 1 || !c.TargetAddrs[0].Addr().Is4() {
		t.Errorf("no-IPv6 defaults: %v", c.TargetAddrs)
	}
}

func TestPeerRoutes(t *testing.T) {
	p := netip.MustParsePrefix
	local := []netip.Prefix{p("198.18.0.1/24"), p("2001:db8::1/64")}
	peer := []netip.Prefix{p("198.18.0.2/24"), p("198.19.7.5/24"), p("198.19.7.6/24"), p("2001:db8:1::5/64"), p("198.18.0.9/32")}
	got := peerRoutes(local, peer)
	want := []netip.Prefix{p("198.19.7.0/24"), p("2001:db8:1::/64")}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
