package rules_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
)

// BenchmarkPredict maps all TCP and UDP ports of the largest corpus
// rulesets, as `perimeter rules` does for one family.
func BenchmarkPredict(b *testing.B) {
	for _, name := range []string{"tum-i8-chair-fw-2013-10-20.v4", "gfw-list-ssredir-2021.v4", "home-user-typical-2015.v4", "ufw-0.36.2-debian12-host.v4"} {
		b.Run(name, func(b *testing.B) {
			rs := parseCorpus(b, name)
			env := &rules.Env{Local: []netip.Addr{netip.MustParseAddr("198.18.0.1")}}
			q := rules.Query{Family: rules.FamilyIPv4, InIface: "eth0", Src: rs.Outsider(rules.FamilyIPv4), Dst: env.Local[0]}
			b.ReportMetric(float64(rs.NumRules()), "rules")
			for b.Loop() {
				for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
					q.Proto = proto
					rs.Predict(env, q)
				}
			}
		})
	}
}

func parseCorpus(b *testing.B, name string) *rules.Ruleset {
	f, err := os.Open(filepath.Join(corpusDir, name))
	if err != nil {
		b.Skipf("corpus: %v", err)
	}
	defer f.Close()
	rs, err := ipt.Parse(f, ipt.Options{Family: rules.FamilyIPv4, Source: name})
	if err != nil {
		b.Fatal(err)
	}
	return rs
}
