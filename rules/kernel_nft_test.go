package rules_test

// The kernel is the oracle for nftables too: every nft ruleset is loaded
// into a lab with the real nft, read back over netlink by perimeter's live
// reader inside the lab's target, predicted for IPv4 and IPv6, TCP and
// UDP, and probed from the peer namespace. The same ruleset read from its
// text (a scratch namespace) and from `nft -j list ruleset` must predict
// the same.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
	"github.com/perimeter-dev/perimeter/rules/nft"
	"github.com/perimeter-dev/perimeter/rules/nft/nfttest"
)

// nftCase is one nft ruleset: text (.nft) or JSON (.json), or an
// iptables-save file loaded with iptables-nft (ipt), whose xt extensions
// the nft reader must decode.
type nftCase struct {
	name, path string
	json, v6   bool
	ipt        bool
	pre        string
}

func TestKernelAgreesNft(t *testing.T) {
	cases := append(nftTestdataCases(t), nftCorpusCases(t)...)
	cases = append(cases, iptablesNftCases(t)...)
	var total tally
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			total.add(checkKernelNft(t, c))
		})
	}
	t.Logf("all nft rulesets: %s", total)
}

func nftTestdataCases(t *testing.T) []nftCase {
	paths, _ := filepath.Glob("../testdata/nft/*.nft")
	if len(paths) == 0 {
		t.Fatal("no testdata rulesets under testdata/nft")
	}
	var out []nftCase
	for _, p := range paths {
		out = append(out, nftCase{name: "testdata/" + filepath.Base(p), path: p})
	}
	return out
}

// iptablesNftCases are the iptables testdata rulesets, loaded with
// iptables-nft and read back by the nft reader.
func iptablesNftCases(t *testing.T) []nftCase {
	var out []nftCase
	for _, c := range testdataCases(t) {
		if _, err := os.Stat(c.path + ".ipsets"); err == nil {
			continue // ipset matches are iptables' own
		}
		out = append(out, nftCase{name: "iptables-nft/" + filepath.Base(c.path), path: c.path, v6: c.v6, ipt: true, pre: c.pre})
	}
	return out
}

// nftCorpusCases lists the nft rulesets of the corpus that load, as
// SOURCES.tsv records.
func nftCorpusCases(t *testing.T) []nftCase {
	var out []nftCase
	for _, col := range corpusRows(t) {
		name := col[0]
		if strings.HasSuffix(name, ".nft") || strings.HasSuffix(name, ".json") {
			out = append(out, nftCase{name: "corpus/" + name, path: filepath.Join(corpusDir, name), json: strings.HasSuffix(name, ".json")})
		}
	}
	return out
}

func checkKernelNft(t *testing.T, c nftCase) tally {
	lab := kernelLab(t, sandbox.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	data := readFile(t, c.path)
	switch {
	case c.ipt:
		if c.pre != "" {
			must(t, lab.LoadIPTables(ctx, c.v6, false, false, bytes.NewReader(readFile(t, c.pre))))
		}
		must(t, lab.LoadIPTables(ctx, c.v6, false, c.pre != "", bytes.NewReader(data)))
	case c.json:
		must(t, lab.LoadNftJSON(ctx, bytes.NewReader(data)))
	default:
		must(t, lab.LoadNft(ctx, strings.NewReader(withLogCounters(string(data)))))
	}
	live := readBackNft(t, lab)
	others := map[string]*rules.Ruleset{}
	if !c.ipt {
		// nft's JSON of iptables-nft rules names extensions without their
		// options, and nft cannot load their text: only netlink says it all.
		others = otherReadsNft(ctx, t, lab, c, data)
	}
	env := labEnv(lab)
	o := newOracle(ctx, t, lab, c.name, live, env)
	for _, v6 := range []bool{false, true} {
		if c.ipt && v6 != c.v6 {
			continue // an iptables-save file holds one family
		}
		fam := rules.FamilyIPv4
		if v6 {
			fam = rules.FamilyIPv6
		}
		for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
			q := rules.Query{Family: fam, Proto: proto, InIface: lab.TargetIface, Src: lab.ProberAddr(v6), Dst: lab.TargetAddr(v6)}
			preds := live.Predict(env, q)
			for name, rs := range others {
				samePredictions(t, fmt.Sprintf("%s %s %s", name, fam, rules.ProtoName(proto)), preds, rs.Predict(env, q))
			}
			o.name = c.name + string(fam)
			o.check(q)
		}
	}
	o.finish()
	t.Logf("%s", o.tally)
	return o.tally
}

// readBackNft reads the lab target's ruleset with the live reader, from
// a thread inside the target's namespace.
func readBackNft(t *testing.T, lab *sandbox.Lab) *rules.Ruleset {
	var rs *rules.Ruleset
	must(t, lab.Do(lab.Target, func() error {
		var err error
		rs, err = nft.ReadLive(context.Background(), nft.Options{NetNSFd: -1})
		return err
	}))
	return rs
}

// otherReadsNft reads the same ruleset from `nft -j list ruleset` and, for
// text, through ReadText.
func otherReadsNft(ctx context.Context, t *testing.T, lab *sandbox.Lab, c nftCase, data []byte) map[string]*rules.Ruleset {
	out := map[string]*rules.Ruleset{}
	js, err := lab.Run(ctx, lab.Target, nil, "nft", "-j", "list", "ruleset")
	must(t, err)
	listing, err := lab.Run(ctx, lab.Target, nil, "nft", "list", "ruleset")
	must(t, err)
	js, err = nfttest.WithIngressDevices(js, listing)
	must(t, err)
	fromJSON, err := nft.ParseJSON(bytes.NewReader(js), nft.Options{})
	must(t, err)
	out["json"] = fromJSON
	if !c.json {
		fromText, err := nft.ReadText(ctx, bytes.NewReader(data), nft.Options{Source: c.path})
		must(t, err)
		out["text"] = fromText
	}
	return out
}

// samePredictions checks two reads predict the same ranges, verdicts and
// undecided matches.
func samePredictions(t *testing.T, what string, a, b []rules.PortPrediction) {
	t.Helper()
	if sa, sb := fullSummary(a), fullSummary(b); sa != sb {
		t.Errorf("%s: the live read and this one predict differently:\nlive:\n%s\nthis:\n%s", what, sa, sb)
	}
}

func fullSummary(ps []rules.PortPrediction) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%d-%d %v %q\n", p.From, p.To, p.Result.Verdicts(), p.Result.Undecided)
	}
	return b.String()
}

// TestNoRuleCountedTwice reads an iptables-nft ruleset beside a native
// nft one with both readers, the nft reader leaving iptables-nft's tables
// to the iptables reader: together they must hold each table once and
// predict what the kernel does.
func TestNoRuleCountedTwice(t *testing.T) {
	lab := kernelLab(t, sandbox.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	must(t, lab.LoadIPTables(ctx, false, false, false, bytes.NewReader(readFile(t, "../testdata/iptables/webserver.v4"))))
	must(t, lab.LoadNft(ctx, bytes.NewReader(readFile(t, "../testdata/nft/accept-then-drop.nft"))))
	var fromIpt, fromNft *rules.Ruleset
	must(t, lab.Do(lab.Target, func() error {
		var err error
		if fromIpt, err = ipt.ReadLive(ctx); err != nil {
			return err
		}
		fromNft, err = nft.ReadLive(ctx, nft.Options{NetNSFd: -1, SkipIptablesNft: true})
		return err
	}))
	seen := map[string]string{}
	merged := &rules.Ruleset{}
	merged.Merge(fromIpt)
	merged.Merge(fromNft)
	for _, tb := range merged.Tables {
		key := string(tb.Family) + " " + tb.Name
		if by, ok := seen[key]; ok && len(tb.Chains) > 0 {
			t.Errorf("table %s read twice: by %s and %s", key, by, tb.Backend)
		}
		seen[key] = string(tb.Backend)
	}
	for _, want := range []string{"ipv4 filter", "inet first", "ipv4 second", "ipv6 third"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("table %s missing from the merged read (have %v)", want, seen)
		}
	}
	o := newOracle(ctx, t, lab, "merged", merged, labEnv(lab))
	for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
		o.check(rules.Query{Family: rules.FamilyIPv4, Proto: proto, InIface: lab.TargetIface, Src: lab.ProberAddr(false), Dst: lab.TargetAddr(false)})
	}
	o.finish()
	t.Logf("%s", o.tally)
}
