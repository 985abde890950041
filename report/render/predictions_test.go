package render

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

// TestExplainWords: --explain names the source port the default probe
// uses, or says any port, never ":0"; and spells a reject in the terms of
// the packet's family.
func TestExplainWords(t *testing.T) {
	rule := rules.Origin{Backend: rules.BackendNft, Family: rules.FamilyInet, Table: "f", Chain: "input", Position: 1, Handle: 3, Text: "tcp dport 22 reject"}
	rejected := func(sport uint16, dst netip.Addr) rules.Outcome {
		v := rules.Verdict{Kind: rules.Reject, RejectWith: rules.RejectPortUnreach}
		return rules.Outcome{Verdict: v, Decider: rule, Sport: sport, Dst: dst,
			Path: []rules.Step{{Hook: rules.HookInput, Origin: rule, Action: v.String()}}}
	}
	v4 := rules.Query{Family: rules.FamilyIPv4, Proto: rules.ProtoTCP, Src: netip.MustParseAddr("203.0.113.77"), Dst: netip.MustParseAddr("198.18.0.1"), InIface: "eth0"}
	v6 := rules.Query{Family: rules.FamilyIPv6, Proto: rules.ProtoTCP, Src: netip.MustParseAddr("2001:db8:ffff::9"), Dst: netip.MustParseAddr("2001:db8::1"), InIface: "eth0"}
	tests := []struct {
		name string
		q    rules.Query
		o    rules.Outcome
		want []string
	}{
		{"default port", v4, rejected(46883, v4.Dst), []string{
			"ipv4 tcp 203.0.113.77:46883 → 198.18.0.1:22 via eth0",
			"input       inet f input handle 3            reject:icmp-port-unreachable",
			"=> reject:icmp-port-unreachable, decided by",
		}},
		{"any port", v4, rejected(0, v4.Dst), []string{"ipv4 tcp 203.0.113.77 (any source port) → 198.18.0.1:22 via eth0"}},
		{"ipv6", v6, rejected(46883, v6.Dst), []string{
			"ipv6 tcp [2001:db8:ffff::9]:46883 → [2001:db8::1]:22 via eth0",
			"input       inet f input handle 3            reject:icmp6-port-unreachable",
			"=> reject:icmp6-port-unreachable, decided by",
		}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		WriteExplain(&b, tt.q, 22, rules.Result{Outcomes: []rules.Outcome{tt.o}}, nil)
		out := b.String()
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no %q in\n%s", tt.name, w, out)
			}
		}
		if strings.Contains(out, ":0 ") || strings.Contains(out, "icmp-port-unreachable") != (tt.q.Family == rules.FamilyIPv4) {
			t.Errorf("%s: port 0 or a reject of the other family in\n%s", tt.name, out)
		}
	}
}
