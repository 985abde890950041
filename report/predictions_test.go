package report_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
	"github.com/perimeter-dev/perimeter/rules/nft"
)

// inetReject is `nft -j list ruleset` of an inet table with nft's plain
// reject (port unreachable in each family's terms), an icmpx one and a
// TCP reset.
const inetReject = `{"nftables": [
{"table": {"family": "inet", "name": "f", "handle": 1}},
{"chain": {"family": "inet", "table": "f", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}},
{"rule": {"family": "inet", "table": "f", "chain": "input", "handle": 2, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 23}},
  {"counter": {"packets": 5, "bytes": 300}}, {"reject": null}]}},
{"rule": {"family": "inet", "table": "f", "chain": "input", "handle": 3, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 24}},
  {"reject": {"type": "icmpx", "expr": "admin-prohibited"}}]}},
{"rule": {"family": "inet", "table": "f", "chain": "input", "handle": 4, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 25}},
  {"reject": {"type": "tcp reset"}}]}}
]}`

// ip6Reject is ip6tables-save of REJECT without and with --reject-with.
const ip6Reject = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 23 -j REJECT
-A INPUT -p tcp -m tcp --dport 24 -j REJECT --reject-with icmp6-adm-prohibited
-A INPUT -p tcp -m tcp --dport 25 -j REJECT --reject-with tcp-reset
COMMIT
`

// verdictsOf predicts TCP from outside to the host and returns the
// verdict and the possible ones of ports 23, 24 and 25.
func verdictsOf(t *testing.T, rs *rules.Ruleset, f rules.Family) [][2]string {
	t.Helper()
	src, dst := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("198.18.0.1")
	if f == rules.FamilyIPv6 {
		src, dst = netip.MustParseAddr("2001:db8:ffff::9"), netip.MustParseAddr("2001:db8::1")
	}
	env := &rules.Env{Local: []netip.Addr{dst}, IfaceAddrs: map[string][]netip.Addr{"eth0": {dst}}}
	q := rules.Query{Family: f, Proto: rules.ProtoTCP, Src: src, Dst: dst, InIface: "eth0"}
	var out [][2]string
	for _, p := range report.Flatten([]report.PredictionSet{{Query: q, Predictions: rs.Predict(env, q)}}) {
		if p.FromPort >= 23 && p.ToPort <= 25 {
			if p.Verdict != "reject:"+p.RejectWith {
				t.Errorf("port %d: verdict %q, reject_with %q", p.FromPort, p.Verdict, p.RejectWith)
			}
			out = append(out, [2]string{p.Verdict, strings.Join(p.Possible, ",")})
		}
	}
	return out
}

// TestRejectSpelledInFamily: a reject reads in the terms of the packet's
// family, whichever reader and table family it comes from, and the
// verdict and the possible verdicts spell it alike.
func TestRejectSpelledInFamily(t *testing.T) {
	inet, err := nft.ParseJSON(strings.NewReader(inetReject), nft.Options{Source: "inet.json"})
	if err != nil {
		t.Fatal(err)
	}
	nft6, err := nft.ParseJSON(strings.NewReader(strings.ReplaceAll(inetReject, `"inet"`, `"ip6"`)), nft.Options{Source: "ip6.json"})
	if err != nil {
		t.Fatal(err)
	}
	ip6, err := ipt.Parse(strings.NewReader(ip6Reject), ipt.Options{Family: rules.FamilyIPv6, Source: "save.v6"})
	if err != nil {
		t.Fatal(err)
	}
	v6 := [][2]string{
		{"reject:icmp6-port-unreachable", "reject:icmp6-port-unreachable"},
		{"reject:icmp6-adm-prohibited", "reject:icmp6-adm-prohibited"},
		{"reject:tcp-reset", "reject:tcp-reset"},
	}
	tests := []struct {
		name string
		rs   *rules.Ruleset
		f    rules.Family
		want [][2]string
	}{
		{"nft inet, ipv6", inet, rules.FamilyIPv6, v6},
		{"nft ip6", nft6, rules.FamilyIPv6, v6},
		{"ip6tables", ip6, rules.FamilyIPv6, v6},
		{"nft inet, ipv4", inet, rules.FamilyIPv4, [][2]string{
			{"reject:icmp-port-unreachable", "reject:icmp-port-unreachable"},
			{"reject:icmp-admin-prohibited", "reject:icmp-admin-prohibited"},
			{"reject:tcp-reset", "reject:tcp-reset"},
		}},
	}
	for _, tt := range tests {
		if got := verdictsOf(t, tt.rs, tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: verdict, possible = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestVerdictWord(t *testing.T) {
	tests := []struct {
		v    rules.Verdict
		f    rules.Family
		want string
	}{
		{rules.Verdict{Kind: rules.Accept}, rules.FamilyIPv4, "accept"},
		{rules.Verdict{Kind: rules.Drop}, rules.FamilyIPv6, "drop"},
		{rules.Verdict{Kind: rules.Reject, RejectWith: rules.RejectPortUnreach}, rules.FamilyIPv6, "reject:icmp6-port-unreachable"},
		{rules.Verdict{Kind: rules.Reject, RejectWith: rules.RejectPortUnreach6}, rules.FamilyIPv4, "reject:icmp-port-unreachable"},
		{rules.Verdict{Kind: rules.Reject, RejectWith: rules.RejectAdminProhib6}, "", "reject:icmp6-adm-prohibited"},
		{rules.Verdict{Kind: rules.UnknownTarget, Target: "FOO"}, rules.FamilyIPv4, "unknown-target"},
		{rules.Verdict{Kind: rules.Queue, Queue: "num 1"}, rules.FamilyIPv4, "queue"},
	}
	for _, tt := range tests {
		if got := report.VerdictWord(tt.v, tt.f); got != tt.want {
			t.Errorf("VerdictWord(%v, %q) = %q, want %q", tt.v, tt.f, got, tt.want)
		}
	}
}
