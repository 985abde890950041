package probe_test

import (
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
)

// TestSelfProbe: a host probing its own address sees only what answers
// there. A connect() may be given the probed port as its source port and
// meet itself, and the UDP socket gets back the datagram sent to its own
// port: neither is a service.
func TestSelfProbe(t *testing.T) {
	l := labtest.NewTestLab(t, sandbox.Config{})
	self := probe.Options{
		ProberNetns: func(fn func() error) error { return l.Do(l.Target, fn) },
		TargetNetns: func(fn func() error) error { return l.Do(l.Target, fn) },
	}
	ephemeral, err := l.Run(t.Context(), l.Target, nil, "sysctl", "-n", "net.ipv4.ip_local_port_range")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := probe.ParsePorts(strings.Join(strings.Fields(string(ephemeral)), "-"), "tcp")
	if err != nil {
		t.Fatal(err)
	}
	udp, _ := probe.ParsePorts("all", "udp")
	for _, c := range []struct {
		proto string
		mode  probe.Mode
		ports []uint16
	}{
		{"tcp", probe.ModeConnect, tcp},
		{"udp", probe.ModeAuto, udp},
	} {
		t.Run(c.proto, func(t *testing.T) {
			opts := self
			opts.Mode = c.mode
			rep, err := probe.Run(t.Context(), l.TargetAddr(false), []probe.Job{{Proto: c.proto, Ports: c.ports}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Results {
				if r.State != probe.Closed {
					t.Errorf("got %s, want closed: nothing listens", r)
				}
			}
		})
	}
}
