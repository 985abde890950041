package report_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/banner"
	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
)

var (
	host4 = netip.MustParseAddr("198.18.0.1")
	host6 = netip.MustParseAddr("2001:db8::1")
)

// ruleset parses iptables-save texts, v4 then v6 (either may be empty).
func ruleset(t *testing.T, v4, v6 string, backend rules.Backend) *rules.Ruleset {
	t.Helper()
	rs := &rules.Ruleset{}
	for _, in := range []struct {
		f    rules.Family
		text string
	}{{rules.FamilyIPv4, v4}, {rules.FamilyIPv6, v6}} {
		if in.text == "" {
			continue
		}
		part, err := ipt.ParseMany(ipt.Options{Family: in.f, Backend: backend}, ipt.Input{Name: "test", R: strings.NewReader(in.text)})
		if err != nil {
			t.Fatal(err)
		}
		rs.Merge(part)
	}
	return rs
}

// listening is a listing of TCP sockets on every address, both families.
func listening(ports ...uint16) *sockets.Listing {
	l := &sockets.Listing{}
	for _, p := range ports {
		proc := []sockets.Process{{PID: 100 + int(p), Name: fmt.Sprintf("svc%d", p)}}
		l.Sockets = append(l.Sockets,
			sockets.Socket{Proto: "tcp", Family: "ipv4", Addr: netip.IPv4Unspecified(), Port: p, Serves: []string{"ipv4"}, Processes: proc},
			sockets.Socket{Proto: "tcp", Family: "ipv6", Addr: netip.IPv6Unspecified(), Port: p, Serves: []string{"ipv6"}, Processes: proc})
	}
	return l
}

func audit(t *testing.T, rs *rules.Ruleset, l *sockets.Listing, vs ...report.Vantage) *report.Audit {
	t.Helper()
	p := report.Packets{Ifaces: []string{"eth0"}, Dests: []netip.Addr{host4, host6}, Protocols: []uint8{rules.ProtoTCP, rules.ProtoUDP}}
	return report.Join(report.Input{Ruleset: rs, Setting: p.FileSetting(rs), Listeners: l, Vantages: vs})
}

// ids spells the findings as "id proto ports", sorted.
func ids(a *report.Audit) []string {
	var out []string
	for _, f := range a.Findings {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", f.ID, f.Evidence.Protocol, f.Evidence.Ports)))
	}
	slices.Sort(out)
	return out
}

func wantFindings(t *testing.T, a *report.Audit, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := ids(a); !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

const dropPolicy = `*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
%s
COMMIT
`

func TestJoinNoFirewall(t *testing.T) {
	rs := ruleset(t, "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", rules.BackendIptablesFile)
	a := audit(t, rs, listening(6379))
	wantFindings(t, a,
		"closed-not-stealth tcp 1-6378, 6380-65535", "closed-not-stealth udp 1-65535",
		"default-accept tcp 1-65535", "default-accept udp 1-65535", "exposed-service tcp 6379")
	for _, f := range a.Findings {
		if f.ID == "exposed-service" && (f.Severity != report.Critical || len(f.Evidence.Families) != 2) {
			t.Errorf("redis on every address of both families: %s %v, want critical for ipv4 and ipv6", f.Severity, f.Evidence.Families)
		}
	}
	if worst, _ := a.Worst(); worst != report.Critical {
		t.Errorf("worst %s, want critical", worst)
	}
}

func TestJoinDropPolicy(t *testing.T) {
	v4 := fmt.Sprintf(dropPolicy, "-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 8443 -j ACCEPT\n-A INPUT -p tcp --dport 1:1023 -j LOG\n-A INPUT -p udp -j REJECT")
	v6 := fmt.Sprintf(dropPolicy, "-A INPUT -p ipv6-icmp -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 8443 -j ACCEPT\n-A INPUT -p tcp --dport 9000 -j ACCEPT\n-A INPUT -p tcp --dport 1:1023 -j LOG\n-A INPUT -p udp -j REJECT")
	a := audit(t, ruleset(t, v4, v6, rules.BackendIptablesFile), listening(22, 9000, 31337))
	wantFindings(t, a,
		"backdoor-port tcp 31337",
		"closed-not-stealth tcp 8443", "closed-not-stealth udp 1-65535",
		"exposed-service tcp 22", "exposed-service tcp 9000", "family-gap tcp 9000",
		"stale-allow tcp 8443",
		"unlogged-drop tcp 1024-8442, 8444-65535", "unlogged-drop tcp 1024-8442, 8444-8999, 9001-65535",
		"unlogged-reject udp 1-65535")
	if !slices.Contains(a.Rest, "tcp (IPv4 and IPv6): 65,531 ports stealth, logged on 1-21, 23-1023 only") {
		t.Errorf("rest: %q", a.Rest)
	}
}

func TestJoinSourcePortAndForward(t *testing.T) {
	v4 := `*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 198.19.0.2:80
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
-A INPUT -p tcp --sport 53 -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -j LOG
-A FORWARD -d 198.19.0.2 -p tcp --dport 80 -j ACCEPT
COMMIT
`
	rs := ruleset(t, v4, "", rules.BackendIptablesFile)
	p := report.Packets{Ifaces: []string{"eth0"}, Dests: []netip.Addr{host4}, Protocols: []uint8{rules.ProtoTCP}}
	a := report.Join(report.Input{Ruleset: rs, Setting: p.FileSetting(rs), Listeners: listening(5432)})
	wantFindings(t, a, "forward-bypass tcp 8080", "source-port-bypass tcp 1-8079, 8081-65535")
	for _, f := range a.Findings {
		if f.ID == "source-port-bypass" && (f.Severity != report.High || !slices.Equal(f.Evidence.Details, []string{"listening: 5432"})) {
			t.Errorf("%+v: want high, for the listener on 5432", f)
		}
	}
}

func TestJoinRemoteMismatch(t *testing.T) {
	rs := ruleset(t, fmt.Sprintf(dropPolicy, "-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j LOG"), "", rules.BackendIptablesFile)
	rep := &probe.Report{Target: host4, Source: netip.MustParseAddr("198.18.0.2"), Scans: []probe.Scan{{Proto: "tcp"}},
		Results: []probe.Result{
			{Proto: "tcp", Port: 22, State: probe.Stealth, Reason: probe.ReasonNoResponse},
			{Proto: "tcp", Port: 23, State: probe.Stealth, Reason: probe.ReasonNoResponse},
			{Proto: "tcp", Port: 80, State: probe.Open, Reason: probe.ReasonSynAck},
		}}
	a := audit(t, rs, listening(22), report.Vantage{Name: report.VantageRemote, Report: rep, Iface: "eth0"})
	wantFindings(t, a, "exposed-service tcp 22", "prediction-mismatch tcp 22", "prediction-mismatch tcp 80")
	for _, f := range a.Findings {
		if f.ID == "prediction-mismatch" && (f.Severity != report.High || f.Evidence.Vantage != "remote") {
			t.Errorf("%+v: want high, from the remote vantage", f)
		}
	}
}

// TestJoinRemoteSources: a remote probe from several addresses is
// compared with the rules only when they treat every address alike; else
// which address settled a port decides its state.
func TestJoinRemoteSources(t *testing.T) {
	src2, src3 := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.3")
	for _, c := range []struct {
		name, rule string
		compared   bool
	}{
		{"alike", "-A INPUT -s 198.18.0.0/24 -p tcp --dport 22 -j ACCEPT", true},
		{"apart", "-A INPUT -s 198.18.0.2 -p tcp --dport 22 -j ACCEPT", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := ruleset(t, fmt.Sprintf(dropPolicy, c.rule+"\n-A INPUT -j LOG"), "", rules.BackendIptablesFile)
			rep := &probe.Report{Target: host4, Source: src2, Sources: []netip.Addr{src2, src3}, Scans: []probe.Scan{{Proto: "tcp"}},
				Results: []probe.Result{{Proto: "tcp", Port: 80, State: probe.Open, Reason: probe.ReasonSynAck}}}
			a := audit(t, rs, listening(22), report.Vantage{Name: report.VantageRemote, Report: rep, Iface: "eth0"})
			mismatch := slices.Contains(ids(a), "prediction-mismatch tcp 80")
			note := strings.Contains(strings.Join(a.Notes, "\n"), "tcp 22: open from 198.18.0.2, stealth from 198.18.0.3")
			if mismatch != c.compared || note == c.compared {
				t.Errorf("compared: %v, note: %v; want compared %v\n%s\n%q", mismatch, note, c.compared, strings.Join(ids(a), "\n"), a.Notes)
			}
		})
	}
}

func TestJoinLocalVantageIsNotCompared(t *testing.T) {
	rs := ruleset(t, fmt.Sprintf(dropPolicy, "-A INPUT -j LOG"), "", rules.BackendIptablesFile)
	rep := &probe.Report{Target: host4, Source: host4, Scans: []probe.Scan{{Proto: "tcp"}},
		Results: []probe.Result{{Proto: "tcp", Port: 22, State: probe.Open, Reason: probe.ReasonSynAck}}}
	a := audit(t, rs, listening(22), report.Vantage{Name: report.VantageLocal, Weak: true, Report: rep, Iface: "lo"})
	wantFindings(t, a)
	if len(a.Rows) != 1 || a.Rows[0].Probes[0].Agrees != nil {
		t.Errorf("rows %+v: want tcp/22, seen open locally, never compared", a.Rows)
	}
}

func TestJoinNeighborDiscoveryAndBackends(t *testing.T) {
	v6 := fmt.Sprintf(dropPolicy, "-A INPUT -j LOG")
	rs := ruleset(t, "", v6, rules.BackendIptablesLegacy)
	rs.Merge(ruleset(t, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LOG\nCOMMIT\n", "", rules.BackendIptablesNft))
	a := audit(t, rs, nil)
	got := strings.Join(ids(a), "\n")
	for _, want := range []string{"nd-blocked", "mixed-backends", "default-accept tcp 1-65535"} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %s:\n%s", want, got)
		}
	}
}

func TestJoinUndecided(t *testing.T) {
	rs := ruleset(t, fmt.Sprintf(dropPolicy, "-A INPUT -p tcp --dport 22 -m set --match-set admins src -j ACCEPT\n-A INPUT -j LOG"), "", rules.BackendIptablesFile)
	a := audit(t, rs, listening(22))
	wantFindings(t, a, "undecided-exposure tcp 22")
}

func TestJoinBanners(t *testing.T) {
	rs := ruleset(t, fmt.Sprintf(dropPolicy, "-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j LOG"), "", rules.BackendIptablesFile)
	p := report.Packets{Ifaces: []string{"eth0"}, Dests: []netip.Addr{host4}, Protocols: []uint8{rules.ProtoTCP}}
	in := report.Input{Ruleset: rs, Setting: p.FileSetting(rs), Listeners: listening(22),
		Banners: []banner.Banner{{Port: 22, Text: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", Product: "OpenSSH", Version: "8.9p1", OS: "Ubuntu"}}}
	a := report.Join(in)
	wantFindings(t, a, "banner-leak tcp 22", "exposed-service tcp 22")
}
