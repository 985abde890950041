//go:build linux

package nft

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// TestXtTargets: an xt target perimeter decodes is modelled; one it
// cannot decode is a statement when it never ends the walk
// (rules.NonTerminating), else an unknown target the evaluator forks on,
// named in a note.
func TestXtTargets(t *testing.T) {
	ip6Table := &nftables.Table{Name: "filter", Family: nftables.TableFamilyIPv6}
	tests := []struct {
		name  string
		table *nftables.Table
		x     *xtExpr
		want  string // modelOf the rule
		note  string // the unknown target a note names, if any
	}{
		{"TRACE", ipTable, &xtExpr{target: true, name: "TRACE"}, "stmt:-j TRACE => continue", ""},
		{"HMARK", ipTable, &xtExpr{target: true, name: "HMARK", info: make([]byte, 64)}, "stmt:-j HMARK => continue", ""},
		{"TEE", ipTable, &xtExpr{target: true, name: "TEE", info: make([]byte, 40)}, "stmt:-j TEE => continue", ""},
		{"SYNPROXY", ipTable, &xtExpr{target: true, name: "SYNPROXY", info: make([]byte, 8)}, "=> unknown target SYNPROXY", "SYNPROXY"},
		{"CLUSTERIP", ipTable, &xtExpr{target: true, name: "CLUSTERIP"}, "=> unknown target CLUSTERIP", "CLUSTERIP"},
		{"DNPT", ip6Table, &xtExpr{target: true, name: "DNPT", info: make([]byte, 40)}, "=> unknown target DNPT", "DNPT"},
		{"unheard of", ipTable, &xtExpr{target: true, name: "FROB"}, "=> unknown target FROB", "FROB"},
		{"REJECT tcp-reset", ipTable, &xtExpr{target: true, name: "REJECT", info: u32(7)}, "=> reject:tcp-reset", ""},
		{"REJECT admin", ipTable, &xtExpr{target: true, name: "REJECT", info: u32(8)}, "=> reject:icmp-admin-prohibited", ""},
		{"REJECT v6 adm", ip6Table, &xtExpr{target: true, name: "REJECT", info: u32(1)}, "=> reject:icmp6-adm-prohibited", ""},
		{"REJECT v6 tcp-reset", ip6Table, &xtExpr{target: true, name: "REJECT", info: u32(6)}, "=> reject:tcp-reset", ""},
		// echo-reply, which the kernel no longer sends: no type perimeter knows
		{"REJECT unknown type", ipTable, &xtExpr{target: true, name: "REJECT", info: u32(4)}, "=> unknown target REJECT", "REJECT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseChain(tt.table, "INPUT", nftables.ChainHook(1), 0, nftables.ChainPolicyAccept)
			o := &Objects{
				Tables: []*nftables.Table{tt.table},
				Chains: []*Chain{in},
				Rules:  []*nftables.Rule{ruleOf(tt.table, "INPUT", 2, &Unknown{Name: "target", Decoded: tt.x})},
			}
			rs := Translate(o, Options{})
			rule := rs.Tables[0].Chains[0].Rules[0]
			if got := modelOf(rule); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if tt.note != "" && (rule.Verdict.Target != tt.note || !slices.ContainsFunc(rs.Notes, func(n string) bool {
				return strings.Contains(n, `unknown target "`+tt.note+`"`)
			})) {
				t.Errorf("verdict %+v, notes %q: want the target named", rule.Verdict, rs.Notes)
			}
		})
	}
}

// TestIptablesCompatibleLog: iptables-nft writes NFLOG as a log with a
// group, and calls a log without one incompatible.
func TestIptablesCompatibleLog(t *testing.T) {
	group := &expr.Log{Key: 1<<2 | 1<<1, Group: 3, Data: []byte("x")}
	plain := &expr.Log{Key: 1 << 2, Data: []byte("x")}
	rangeExpr := &expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{0, 1}, ToData: []byte{0, 9}}
	tests := []struct {
		name string
		es   []expr.Any
		want bool
	}{
		{"NFLOG", []expr.Any{&expr.Counter{}, group}, true},
		{"nft's log", []expr.Any{&expr.Counter{}, plain}, false},
		{"port range", cat(l4(6), dportLoad(1), rangeExpr, &Unknown{Name: "target", Decoded: &xtExpr{target: true, name: "LOG"}}), true},
		{"ct", []expr.Any{&expr.Ct{Key: expr.CtKeySTATE, Register: 1}}, false},
	}
	for _, tt := range tests {
		if got := iptablesCompatible(tt.es); got != tt.want {
			t.Errorf("%s: iptablesCompatible = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
