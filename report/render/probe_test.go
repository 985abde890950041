package render

import (
	"bytes"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perimeter-dev/perimeter/exposure/probe"
)

// results answers the ports in order: open where open lists them,
// closed where closed does, silence elsewhere.
func results(ports []uint16, open, closed []uint16) []probe.Result {
	var out []probe.Result
	for _, p := range ports {
		r := probe.Result{Proto: "tcp", Port: p, State: probe.Stealth, Reason: "no-response", Tries: 2}
		switch {
		case slices.Contains(open, p):
			r.State, r.Reason, r.TTL, r.Tries = probe.Open, "syn-ack", 64, 1
		case slices.Contains(closed, p):
			r.State, r.Reason, r.TTL, r.Tries = probe.Closed, "reset", 64, 1
		}
		out = append(out, r)
	}
	return out
}

func span(lo, hi uint16) []uint16 {
	var out []uint16
	for p := lo; p <= hi; p++ {
		out = append(out, p)
	}
	return out
}

func TestProbeGroups(t *testing.T) {
	tests := []struct {
		name       string
		rs         []probe.Result
		wantApart  bool
		wantPorts  []string
		wantStates []probe.State
	}{
		{"top ports merge by answer", results(probe.TopTCP, []uint16{22, 80, 8080, 8081}, []uint16{25, 443}), true,
			[]string{"22, 80, 8080-8081 (4)", "25, 443 (2)", "95 ports"},
			[]probe.State{probe.Open, probe.Closed, probe.Stealth}},
		{"few silent ports are listed", results([]uint16{22, 80, 443}, []uint16{22}, nil), true,
			[]string{"22", "80, 443 (2)"},
			[]probe.State{probe.Open, probe.Stealth}},
		{"one range keeps its runs", results(span(20, 30), []uint16{22, 25}, []uint16{23}), false,
			[]string{"20-21 (2)", "22", "23", "24", "25", "26-30 (5)"},
			[]probe.State{probe.Stealth, probe.Open, probe.Closed, probe.Stealth, probe.Open, probe.Stealth}},
		{"ranges and a few ports keep runs", results(append(span(20, 30), 3306, 8080), []uint16{22, 8080}, nil), false,
			[]string{"20-21 (2)", "22", "23-30 (8)", "3306", "8080"},
			[]probe.State{probe.Stealth, probe.Open, probe.Stealth, probe.Stealth, probe.Open}},
		{"udp top ports merge", results(probe.TopUDP, []uint16{53}, []uint16{123, 161}), true,
			[]string{"53", "123, 161 (2)", "35 ports"},
			[]probe.State{probe.Open, probe.Closed, probe.Stealth}},
	}
	for _, tt := range tests {
		groups, apart := groupResults(tt.rs, "tcp", netip.MustParseAddr("198.18.0.1"))
		var ports []string
		var states []probe.State
		for _, g := range groups {
			ports, states = append(ports, g.ports(apart)), append(states, g.first().State)
		}
		if apart != tt.wantApart || strings.Join(ports, "|") != strings.Join(tt.wantPorts, "|") || !slices.Equal(states, tt.wantStates) {
			t.Errorf("%s: apart %v, rows %q %q; want %v, %q %q", tt.name, apart, ports, states, tt.wantApart, tt.wantPorts, tt.wantStates)
		}
	}
}

// TestProbeTableTopFits: a top-ports run where many ports answer prints a
// handful of rows, fits the width, and never splits a port number.
func TestProbeTableTopFits(t *testing.T) {
	var ports []uint16
	for p := uint16(1000); p < 1200; p += 2 {
		ports = append(ports, p)
	}
	rs := results(ports, ports[:60], nil)
	r := &probe.Report{Target: netip.MustParseAddr("198.18.0.1"), Scans: []probe.Scan{{Proto: "tcp", Ports: len(rs)}}, Results: rs}
	var b bytes.Buffer
	if err := WriteProbeTable(&b, r, Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
	for _, p := range ports[:60] {
		if n := strconv.Itoa(int(p)); !strings.Contains(out, " "+n+",") && !strings.Contains(out, " "+n+" ") {
			t.Errorf("port %d not shown whole in\n%s", p, out)
		}
	}
	if !strings.Contains(out, "40 ports") || strings.Count(out, "│ open") != 1 {
		t.Errorf("want one open row and one summary row:\n%s", out)
	}
}

func TestProbeSources(t *testing.T) {
	addrs := func(n int) []netip.Addr {
		var out []netip.Addr
		for i := range n {
			out = append(out, netip.AddrFrom4([4]byte{198, 18, 0, byte(2 + i)}))
		}
		return out
	}
	for _, c := range []struct {
		sources []netip.Addr
		want    string
	}{
		{nil, "from 198.18.0.2, syn mode"},
		{addrs(3), "from 198.18.0.2, 198.18.0.3, 198.18.0.4, syn mode"},
		{addrs(16), "from 198.18.0.2, 198.18.0.3, 198.18.0.4 and 13 more addresses, syn mode"},
	} {
		rep := &probe.Report{Target: netip.MustParseAddr("198.18.0.1"), Source: addrs(1)[0], Sources: c.sources,
			Scans: []probe.Scan{{Proto: "tcp", Mode: probe.ModeSyn, Ports: 1}}, Results: results([]uint16{22}, []uint16{22}, nil)}
		var b bytes.Buffer
		if err := WriteProbeTable(&b, rep, Style{}); err != nil {
			t.Fatal(err)
		}
		if line, _, _ := strings.Cut(b.String(), "\n"); !strings.Contains(line, c.want) {
			t.Errorf("%d sources: %q, want %q in it", len(c.sources), line, c.want)
		}
	}
}
