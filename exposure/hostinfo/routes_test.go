package hostinfo

import (
	"net/netip"
	"strings"
	"testing"
)

const procRoute = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
`

const procIPv6Route = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
`

func TestParseRoutes(t *testing.T) {
	r4, err := ParseRoutes4(strings.NewReader(procRoute))
	if err != nil {
		t.Fatal(err)
	}
	r6, err := ParseRoutes6(strings.NewReader(procIPv6Route))
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{Routes: append(r4, r6...)}
	if got := h.DefaultIface(false); got != "eth0" {
		t.Errorf("default v4 iface %q", got)
	}
	if r4[1].Dst != netip.MustParsePrefix("192.0.2.0/24") {
		t.Errorf("v4 route: got %v", r4[1].Dst)
	}
	if len(r6) != 2 || r6[0].Dst != netip.MustParsePrefix("fd00::/64") || !r6[1].Default {
		t.Errorf("v6 routes: got %+v", r6)
	}
}

func TestParseRoutesErrors(t *testing.T) {
	for _, bad := range []string{"h\neth0 zz 0 0 0 0 0 00FFFFFF\n", "h\neth0 00000000\n"} {
		if _, err := ParseRoutes4(strings.NewReader(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
	if _, err := ParseRoutes6(strings.NewReader("zz 40 0 0 0 0 0 0 0 eth0\n")); err == nil {
		t.Error("no error for a bad ipv6 route")
	}
}
