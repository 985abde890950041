package rules_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/internal/rulegen"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/load"
)

// TestPredictMatchesClassByClass holds Predict, which walks all ports at
// once, to the class-by-class evaluator it replaced: the predictions must
// be identical on every ruleset of testdata and the corpus and on
// generated ones, from several sources and interfaces.
func TestPredictMatchesClassByClass(t *testing.T) {
	var compared, ranges int
	for _, c := range differentialCases(t) {
		t.Run(c.name, func(t *testing.T) {
			rs := c.read(t)
			for _, q := range differentialQueries(rs) {
				env := rules.NeutralEnv(rs, []rules.Query{q}, true, true)
				got, want := rs.Predict(env, q), rs.PredictByClass(env, q)
				if diff := predictionDiff(got, want); diff != "" {
					t.Fatalf("%s/%d from %s to %s on %s: %s", q.Family, q.Proto, q.Src, q.Dst, q.InIface, diff)
				}
				compared++
				ranges += len(want)
			}
		})
	}
	t.Logf("%d predictions compared, %d port ranges, all identical", compared, ranges)
}

type differentialCase struct {
	name string
	read func(t *testing.T) *rules.Ruleset
}

func differentialCases(t *testing.T) []differentialCase {
	paths, _ := filepath.Glob("../testdata/[in]*/*") // iptables, nft
	for _, col := range corpusRows(t) {
		paths = append(paths, filepath.Join(corpusDir, col[0]))
	}
	var out []differentialCase
	for _, p := range paths {
		if files, ok := ruleFiles(p); ok {
			out = append(out, differentialCase{filepath.Base(p), func(t *testing.T) *rules.Ruleset { return readFiles(t, files) }})
		}
	}
	for _, n := range []int{1, 7, 60, 400} {
		out = append(out, generatedCase(fmt.Sprintf("kube-%d", n), rulegen.Kube{Services: n, Endpoints: 1 + n%3, UDPEvery: 3}.WriteIPTablesSave))
	}
	return append(out, generatedCase("one-port-each-300", func(w io.Writer) error { return rulegen.WriteOnePortEach(w, 300) }))
}

func generatedCase(name string, gen func(io.Writer) error) differentialCase {
	return differentialCase{name, func(t *testing.T) *rules.Ruleset { return generatedRuleset(t, gen) }}
}

// ruleFiles names the files that load a ruleset at p, sidecars first.
func ruleFiles(p string) (load.Files, bool) {
	var f load.Files
	switch filepath.Ext(p) {
	case ".v4", ".v6":
		list := &f.IPTablesSave
		if filepath.Ext(p) == ".v6" {
			list = &f.IP6TablesSave
		}
		if _, err := os.Stat(p + ".pre"); err == nil {
			*list = append(*list, p+".pre")
		}
		*list = append(*list, p)
		if _, err := os.Stat(p + ".ipsets"); err == nil {
			f.IPSets = []string{p + ".ipsets"}
		}
	case ".json":
		f.NftJSON = []string{p}
	case ".nft":
		f.NftText = []string{p}
	default:
		return f, false
	}
	return f, true
}

func readFiles(t *testing.T, f load.Files) *rules.Ruleset {
	if len(f.NftText) > 0 && os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("nft text needs root")
		}
		t.Skip("nft text needs root")
	}
	rs, err := f.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// differentialQueries are TCP and UDP from an outsider (from any source
// port, or from 53), from sources and on interfaces the rules name.
func differentialQueries(rs *rules.Ruleset) []rules.Query {
	var out []rules.Query
	for _, f := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
		if !rs.Describes(f) {
			continue
		}
		base := rules.Query{Family: f, InIface: rs.UnnamedIface(), Src: rs.Outsider(f), Dst: rs.Insider(f)}
		fixed := base
		fixed.Sport = 53
		variants := []rules.Query{base, fixed}
		for _, iface := range first(rs.NamedIfaces(), 3) {
			q := base
			q.InIface = iface
			variants = append(variants, q)
		}
		for _, src := range first(rs.NamedSources(f), 3) {
			q := base
			q.Src = src
			variants = append(variants, q)
		}
		for _, q := range variants {
			for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
				q.Proto = proto
				out = append(out, q)
			}
		}
	}
	return out
}

func first[T any](s []T, n int) []T { return s[:min(n, len(s))] }

// predictionDiff describes the first difference between two predictions.
func predictionDiff(got, want []rules.PortPrediction) string {
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) {
			return fmt.Sprintf("%d ranges, want %d", len(got), len(want))
		}
		g, w := got[i], want[i]
		if g.From != w.From || g.To != w.To {
			return fmt.Sprintf("range %d is %d-%d, want %d-%d", i, g.From, g.To, w.From, w.To)
		}
		if !reflect.DeepEqual(g.Result, w.Result) {
			return fmt.Sprintf("ports %d-%d: got\n%s\nwant\n%s", g.From, g.To, dump(g.Result), dump(w.Result))
		}
	}
	return ""
}

func dump(r rules.Result) string {
	var b bytes.Buffer
	for i, o := range r.Outcomes {
		fmt.Fprintf(&b, "  #%d %s by %s dst %s nat %v fwd %v logs %d path %d assumed %+v\n", i, o.Verdict, o.Decider, netip.AddrPortFrom(o.Dst, o.Dport), o.NATed, o.Forwarded, len(o.Logs), len(o.Path), o.Assumed)
	}
	fmt.Fprintf(&b, "  undecided %s truncated %v", strings.Join(r.Undecided, "; "), r.Truncated)
	return b.String()
}
