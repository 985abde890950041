package rules_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/perimeter-dev/perimeter/internal/rulegen"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
)

// BenchmarkPredictKube maps all TCP and UDP ports of a kube-proxy node
// (iptables mode, two endpoints a service, a host firewall) as
// `perimeter rules` does: the cost must grow linearly with the rules.
func BenchmarkPredictKube(b *testing.B) {
	for _, n := range []int{500, 1000, 2000, 5000, 10000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			benchPredict(b, func(w io.Writer) error {
				return rulegen.Kube{Services: n, Endpoints: 2, UDPEvery: 10}.WriteIPTablesSave(w)
			})
		})
	}
}

// BenchmarkPredictOnePortEach maps a ruleset of one-port rules, each
// port a class of its own.
func BenchmarkPredictOnePortEach(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			benchPredict(b, func(w io.Writer) error { return rulegen.WriteOnePortEach(w, n) })
		})
	}
}

func benchPredict(b *testing.B, gen func(io.Writer) error) {
	rs := generatedRuleset(b, gen)
	env, q := fileSetting(rs)
	b.ReportMetric(float64(rs.NumRules()), "rules")
	b.ResetTimer()
	for b.Loop() {
		for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
			q.Proto = proto
			rs.Predict(env, q)
		}
	}
}

func generatedRuleset(tb testing.TB, gen func(io.Writer) error) *rules.Ruleset {
	var buf bytes.Buffer
	if err := gen(&buf); err != nil {
		tb.Fatal(err)
	}
	rs, err := ipt.Parse(&buf, ipt.Options{Family: rules.FamilyIPv4, Source: "generated"})
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

// fileSetting is the setting `perimeter rules` gives a rule file: an
// outsider on an unnamed interface, to an address the rules do not name.
func fileSetting(rs *rules.Ruleset) (*rules.Env, rules.Query) {
	q := rules.Query{Family: rules.FamilyIPv4, InIface: rs.UnnamedIface(), Src: rs.Outsider(rules.FamilyIPv4), Dst: rs.Insider(rules.FamilyIPv4)}
	return rules.NeutralEnv(rs, []rules.Query{q}, true, true), q
}
