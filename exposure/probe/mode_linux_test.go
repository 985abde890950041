package probe

import (
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// noRaw is a namespace where raw sockets are refused, as for a process
// without CAP_NET_RAW.
func noRaw(func() error) error { return unix.EPERM }

func TestModeWithoutRawSockets(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		want Mode
		err  error
	}{
		{ModeAuto, ModeConnect, nil},
		{ModeConnect, ModeConnect, nil},
		{ModeSyn, ModeSyn, ErrNoRawSocket},
	} {
		e := &env{opts: Options{Mode: tc.mode}, ns: noRaw}
		got, err := e.tcpMode()
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: got %s, %v; want %s, %v", tc.mode, got, err, tc.want, tc.err)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	for _, bad := range []string{"0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255", "fe80::1%eth0"} {
		if err := checkTarget(netip.MustParseAddr(bad), nil); !errors.Is(err, ErrBadTarget) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if err := checkTarget(netip.MustParseAddr("198.18.0.1"), []netip.Addr{netip.MustParseAddr("2001:db8::2")}); !errors.Is(err, ErrBadTarget) {
		t.Errorf("mixed families: %v", err)
	}
	twice := []netip.Addr{netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.2")}
	if err := checkTarget(netip.MustParseAddr("198.18.0.1"), twice); !errors.Is(err, ErrBadTarget) {
		t.Errorf("a source twice: %v", err)
	}
	if err := checkTarget(netip.MustParseAddr("198.18.0.1"), twice[:1]); err != nil {
		t.Error(err)
	}
	if err := checkTarget(netip.MustParseAddr("198.18.0.1"), nil); err != nil {
		t.Error(err)
	}
}
