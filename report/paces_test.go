package report_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
)

func TestPaces(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules string
		want  []string // "proto from-to rate/s burst n"
	}{
		{"rst limit", "-A INPUT -p tcp --dport 20000:29999 -m limit --limit 100/sec --limit-burst 100 -j REJECT --reject-with tcp-reset\n",
			[]string{"tcp 20000-29999 100/s burst 100"}},
		{"accept limit", "-A INPUT -p tcp --dport 22 -m limit --limit 3/min -j ACCEPT\n",
			[]string{"tcp 22-22 0.05/s burst 5"}},
		{"one rule, two ranges", "-A INPUT -p tcp -m multiport --dports 7000:7010,8000:8010 -m limit --limit 10/sec -j REJECT\n",
			[]string{"tcp 7000-7010 10/s burst 5", "tcp 8000-8010 10/s burst 5"}},
		{"slowest of two", "-A INPUT -p tcp --dport 80 -m limit --limit 50/sec -m limit --limit 5/sec -j REJECT\n",
			[]string{"tcp 80-80 5/s burst 5"}},
		{"limit on a log", "-A INPUT -m limit --limit 5/min -j LOG\n", nil},
		{"same either way", "-A INPUT -p tcp --dport 25 -m limit --limit 10/sec -j DROP\n", nil},
		{"limit and a source port", "-A INPUT -p tcp --sport 53 --dport 53 -m limit --limit 10/sec -j ACCEPT\n", nil},
		{"udp", "-A INPUT -p udp --dport 53 -m limit --limit 10/sec -j ACCEPT\n", []string{"udp 53-53 10/s burst 5"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := pacesOf(t, "*filter\n:INPUT DROP [0:0]\n"+c.rules+"COMMIT\n")
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("paces\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestPacesShareALimit: the ranges of one rule name the same limit, so
// the prober counts their answers together.
func TestPacesShareALimit(t *testing.T) {
	ps := paces(t, "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m multiport --dports 7000,8000 -m limit --limit 10/sec -j REJECT\n-A INPUT -p tcp --dport 9000 -m limit --limit 10/sec --limit-burst 6 -j REJECT\nCOMMIT\n")
	if len(ps) != 3 || ps[0].Limit == "" || ps[0].Limit != ps[1].Limit || ps[2].Limit == ps[0].Limit {
		t.Errorf("paces %+v: want 7000 and 8000 behind one limit, 9000 behind another", ps)
	}
}

func pacesOf(t *testing.T, save string) []string {
	var out []string
	for _, p := range paces(t, save) {
		out = append(out, fmt.Sprintf("%s %d-%d %g/s burst %d", p.Proto, p.From, p.To, p.PerSecond, p.Burst))
	}
	return out
}

func paces(t *testing.T, save string) []probe.Pace {
	t.Helper()
	rs, err := ipt.Parse(strings.NewReader(save), ipt.Options{Family: rules.FamilyIPv4, Source: "save.v4"})
	if err != nil {
		t.Fatal(err)
	}
	dst := netip.MustParseAddr("198.18.0.1")
	env := &rules.Env{Local: []netip.Addr{dst}, IfaceAddrs: map[string][]netip.Addr{"eth0": {dst}}}
	var qs []rules.Query
	for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
		qs = append(qs, rules.Query{Family: rules.FamilyIPv4, Proto: proto, Src: netip.MustParseAddr("198.18.0.2"), Dst: dst, InIface: "eth0"})
	}
	return report.Paces(report.PredictAll(rs, env, qs))
}
