package rules_test

// The kernel is the oracle: every ruleset is loaded into a lab namespace
// with the real iptables-restore, read back through perimeter's own live
// reader, and probed from a peer namespace; every port the prediction is
// certain about must be in the state the prediction implies.

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"github.com/perimeter-dev/perimeter/internal/corpus"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
)

// corpusDir is ../shared/corpus beside the checkout.
const corpusDir = "../../shared/corpus"

// randomPorts is how many random ports each ruleset is probed on, besides
// every class boundary.
const randomPorts = 500

// kernelCase is one ruleset to load: the file, and its sidecars.
type kernelCase struct {
	name, path string
	v6         bool
	ipsets     string // NAME.ipsets, loaded first
	pre        string // NAME.pre, loaded first; NAME then with --noflush
}

func TestKernelAgreesIPTables(t *testing.T) {
	cases := append(testdataCases(t), corpusCases(t)...)
	var total tally
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			total.add(checkKernel(t, c))
		})
	}
	t.Logf("all rulesets: %s", total)
}

func testdataCases(t *testing.T) []kernelCase {
	var out []kernelCase
	for _, ext := range []string{"v4", "v6"} {
		paths, _ := filepath.Glob("../testdata/iptables/*." + ext)
		for _, p := range paths {
			out = append(out, newCase("testdata/"+filepath.Base(p), p))
		}
	}
	if len(out) == 0 {
		t.Fatal("no testdata rulesets under testdata/iptables")
	}
	return out
}

// corpusCases lists the iptables rulesets of the corpus that load with the
// nf_tables backend, as SOURCES.tsv records.
func corpusCases(t *testing.T) []kernelCase {
	var out []kernelCase
	for _, col := range corpusRows(t) {
		if strings.Contains(col[4], "iptables-save") {
			out = append(out, newCase("corpus/"+col[0], filepath.Join(corpusDir, col[0])))
		}
	}
	return out
}

// corpusRows returns the rows of the corpus's SOURCES.tsv whose ruleset
// loads (column 8 says OK). Without the corpus the test fails under CI and
// goes on without it elsewhere.
func corpusRows(t *testing.T) [][]string {
	rows, err := corpus.Loading(corpusDir)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus: %v", err)
		}
		t.Logf("corpus: %v (skipped)", err)
	}
	return rows
}

// newCase is the ruleset at path, with the sidecars beside it.
func newCase(name, path string) kernelCase {
	c := kernelCase{name: name, path: path, v6: strings.HasSuffix(path, ".v6")}
	if _, err := os.Stat(c.path + ".ipsets"); err == nil {
		c.ipsets = c.path + ".ipsets"
	}
	if _, err := os.Stat(c.path + ".pre"); err == nil {
		c.pre = c.path + ".pre"
	}
	return c
}

// tally counts how the predictions met the kernel: ports probed with the
// default probe (paced ones below a rate limit, skipped ones beyond the
// time the test gives them), log rules checked around each batch, and
// outcomes of the sender's choices probed that way.
type tally [numCounts]int

// What a tally counts.
const (
	rulesets = iota
	agreed
	forwarded
	undecided
	disagreed
	paced
	skipped
	logsAgreed
	logsDisagreed
	choicesAgreed
	choicesDisagreed
	choicesLeft
	numCounts
)

func (a *tally) add(b tally) {
	for i := range a {
		a[i] += b[i]
	}
}

func (a tally) String() string {
	return fmt.Sprintf("%d rulesets; default probe: %d ports agreed with the kernel (%d forwarded, %d paced below a rate limit), "+
		"%d undecided (not compared), %d skipped (rate limit), %d disagreed; log rules: %d checks agreed, %d disagreed; "+
		"sender's choices: %d agreed, %d disagreed, %d not probed",
		a[rulesets], a[agreed], a[forwarded], a[paced], a[undecided], a[skipped], a[disagreed],
		a[logsAgreed], a[logsDisagreed], a[choicesAgreed], a[choicesDisagreed], a[choicesLeft])
}

// labConfigs gives the rulesets that need more than the two-namespace lab
// theirs: a Docker host's containers sit behind docker0.
var labConfigs = map[string]sandbox.Config{
	"testdata/docker-published.v4": {Backend: &sandbox.Backend{Iface: "docker0",
		TargetAddrs: prefixes("198.19.0.1/16"),
		Addrs:       prefixes("198.19.0.2/16", "198.19.0.3/16", "198.19.0.4/16", "198.19.0.5/16")}},
	"testdata/nat-noroute.v4": {Forwarding: true},
}

// kernelLab is a lab whose prober has a spare source address besides its
// first: a disagreement is probed again from it, so that state a first
// probe left behind (a recent list, a hash limit) cannot speak for the
// second. More addresses are fresh sources for the choices of order.
func kernelLab(t *testing.T, cfg sandbox.Config) *sandbox.Lab {
	cfg.ProberAddrs = append(slices.Clone(sandbox.DefaultProberAddrs), prefixes("198.18.0.3/24", "2001:db8::3/64")...)
	for i := 10; i < 34; i++ {
		cfg.ProberAddrs = append(cfg.ProberAddrs, prefixes(fmt.Sprintf("198.18.0.%d/24", i), fmt.Sprintf("2001:db8::%d/64", i))...)
	}
	return labtest.NewTestLab(t, cfg)
}

// spareSource is the prober's second address of the family, or its first.
func spareSource(lab *sandbox.Lab, v6 bool) netip.Addr {
	for _, p := range lab.ProberAddrs {
		if p.Addr().Is6() == v6 && p.Addr() != lab.ProberAddr(v6) {
			return p.Addr()
		}
	}
	return lab.ProberAddr(v6)
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func checkKernel(t *testing.T, c kernelCase) tally {
	cfg := labConfigs[c.name]
	lab := kernelLab(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fromFile := loadCase(ctx, t, lab, c)
	live := readBack(t, lab)
	fam := rules.FamilyIPv4
	if c.v6 {
		fam = rules.FamilyIPv6
	}
	env := labEnvFor(lab, cfg)
	o := newOracle(ctx, t, lab, c.name, live, env)
	for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
		q := rules.Query{Family: fam, Proto: proto, InIface: lab.TargetIface, Src: lab.ProberAddr(c.v6), Dst: lab.TargetAddr(c.v6)}
		sameAsFile(t, live.Predict(env, q), fromFile.Predict(env, q))
		o.check(q)
	}
	o.finish()
	t.Logf("%s", o.tally)
	return o.tally
}

func loadCase(ctx context.Context, t *testing.T, lab *sandbox.Lab, c kernelCase) *rules.Ruleset {
	var sets ipt.IPSets
	if c.ipsets != "" {
		data := readFile(t, c.ipsets)
		must(t, lab.LoadIPSet(ctx, bytes.NewReader(data)))
		var err error
		sets, err = ipt.ParseIPSets(bytes.NewReader(data))
		must(t, err)
	}
	var inputs []ipt.Input
	if c.pre != "" {
		pre := readFile(t, c.pre)
		must(t, lab.LoadIPTables(ctx, c.v6, false, false, bytes.NewReader(pre)))
		inputs = append(inputs, ipt.Input{Name: c.pre, R: bytes.NewReader(pre)})
	}
	main := readFile(t, c.path)
	must(t, lab.LoadIPTables(ctx, c.v6, false, c.pre != "", bytes.NewReader(main)))
	inputs = append(inputs, ipt.Input{Name: c.path, R: bytes.NewReader(main)})
	fam := rules.FamilyIPv4
	if c.v6 {
		fam = rules.FamilyIPv6
	}
	rs, err := ipt.ParseMany(ipt.Options{Family: fam, IPSets: sets}, inputs...)
	must(t, err)
	return rs
}

// readBack reads the lab target's rules with the live reader, from inside
// the target's namespace.
func readBack(t *testing.T, lab *sandbox.Lab) *rules.Ruleset {
	var rs *rules.Ruleset
	must(t, lab.Do(lab.Target, func() error {
		var err error
		rs, err = ipt.ReadLive(context.Background())
		return err
	}))
	return rs
}

// labEnv is what the evaluator must know of a plain lab's target.
func labEnv(lab *sandbox.Lab) *rules.Env { return labEnvFor(lab, sandbox.Config{}) }

// labEnvFor is labEnv for a lab made with cfg.
func labEnvFor(lab *sandbox.Lab, cfg sandbox.Config) *rules.Env {
	env := &rules.Env{From: "lab", IfaceAddrs: map[string][]netip.Addr{}, RoutesComplete: true,
		RouteLocalnet: map[string]bool{}}
	addIface(env, lab.TargetIface, lab.TargetAddrs)
	env.ForwardV4, env.ForwardV6 = cfg.Forwarding, cfg.Forwarding
	if b := cfg.Backend; b != nil {
		env.ForwardV4, env.ForwardV6 = true, true
		addIface(env, b.Iface, b.TargetAddrs)
	}
	return env
}

// addIface gives the host an interface with addresses and their routes.
func addIface(env *rules.Env, name string, addrs []netip.Prefix) {
	for _, p := range addrs {
		env.Local = append(env.Local, p.Addr())
		env.IfaceAddrs[name] = append(env.IfaceAddrs[name], p.Addr())
		env.Routes = append(env.Routes, rules.Route{Dst: p.Masked(), Iface: name})
	}
}

// sameAsFile checks the live read-back predicts what the file does.
func sameAsFile(t *testing.T, live, file []rules.PortPrediction) {
	t.Helper()
	a, b := summary(live), summary(file)
	if a != b {
		t.Errorf("live read-back and file disagree:\nlive:\n%s\nfile:\n%s", a, b)
	}
}

// summary compares what matters: the verdicts, and whether they are
// certain. (The text of an undecided match differs: iptables prints some
// options back with their defaults.)
func summary(ps []rules.PortPrediction) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%d-%d %v certain=%v\n", p.From, p.To, p.Result.Verdicts(), p.Result.Certain())
	}
	return b.String()
}

func (a *tally) agree(res rules.Result) {
	a[agreed]++
	if res.Default().Forwarded {
		a[forwarded]++
	}
}

func portsToProbe(seed string, preds []rules.PortPrediction) []uint16 {
	set := map[uint16]bool{}
	for _, p := range preds {
		set[p.From], set[p.To] = true, true
	}
	h := fnv.New64a()
	h.Write([]byte(seed))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	for n := 0; n < randomPorts; {
		if p := uint16(rng.IntN(65535) + 1); !set[p] {
			set[p] = true
			n++
		}
	}
	delete(set, 0)
	var out []uint16
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// listeners picks about half the ports, by a hash, so accepted ports are
// seen both open and closed.
func listeners(ports []uint16) []uint16 {
	var out []uint16
	for _, p := range ports {
		if (uint32(p)*2654435761)>>16&1 == 0 {
			out = append(out, p)
		}
	}
	return out
}

func predictionFor(preds []rules.PortPrediction, port uint16) rules.Result {
	for _, p := range preds {
		if p.From <= port && port <= p.To {
			return p.Result
		}
	}
	panic(fmt.Sprintf("port %d not covered by the prediction", port))
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
