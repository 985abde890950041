//go:build linux

package nft

import (
	"bytes"
	"context"
	"fmt"
	"github.com/perimeter-dev/perimeter/rules/nft/nfttest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perimeter-dev/perimeter/rules"
)

// The three readers must agree: the text read (ReadText), the live read
// of the same ruleset loaded into a namespace (ReadLive), and the JSON
// read of `nft -j list ruleset` there (ParseJSON) predict the same port
// ranges, verdicts and undecided matches.
func TestReadersAgree(t *testing.T) {
	needRoot(t)
	paths, _ := filepath.Glob("../../testdata/nft/*.nft")
	if len(paths) == 0 {
		t.Fatal("no rulesets under testdata/nft")
	}
	if _, err := os.Stat(corpusDir); err == nil {
		paths = append(paths, corpusFiles(t, ".nft")...)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			text, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			reads := threeReads(t, text)
			for _, q := range agreeQueries {
				live := fullSummary(reads["live"].Predict(agreeEnv, q))
				for _, name := range []string{"text", "json"} {
					if got := fullSummary(reads[name].Predict(agreeEnv, q)); got != live {
						t.Errorf("%s %s/%d: %s read predicts\n%s\nlive read\n%s", name, q.Family, q.Proto, name, got, live)
					}
				}
			}
		})
	}
}

var (
	agreeEnv = &rules.Env{
		Local:      []netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")},
		IfaceAddrs: map[string][]netip.Addr{"eth0": {netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")}},
	}
	agreeQueries = func() []rules.Query {
		var out []rules.Query
		for _, fam := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
			src, dst := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.1")
			if fam == rules.FamilyIPv6 {
				src, dst = netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::1")
			}
			for _, proto := range []uint8{rules.ProtoTCP, rules.ProtoUDP} {
				out = append(out, rules.Query{Family: fam, Proto: proto, InIface: "eth0", Src: src, Dst: dst})
			}
		}
		return out
	}()
)

// threeReads reads a ruleset's text three ways.
func threeReads(t *testing.T, text []byte) map[string]*rules.Ruleset {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := map[string]*rules.Ruleset{}
	var err error
	if out["text"], err = ReadText(ctx, bytes.NewReader(text), Options{}); err != nil {
		t.Fatal(err)
	}
	var js, listing []byte
	err = InScratchNetNS(func() error {
		if _, err := nftCommand(ctx, "", text, "-f", "-"); err != nil {
			return err
		}
		var err error
		if out["live"], err = ReadLive(ctx, Options{NetNSFd: -1}); err != nil {
			return err
		}
		if js, err = nftCommand(ctx, "", nil, "-j", "list", "ruleset"); err != nil {
			return err
		}
		listing, err = nftCommand(ctx, "", nil, "list", "ruleset")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if js, err = nfttest.WithIngressDevices(js, listing); err != nil {
		t.Fatal(err)
	}
	if out["json"], err = ParseJSON(bytes.NewReader(js), Options{}); err != nil {
		t.Fatal(err)
	}
	return out
}

func fullSummary(ps []rules.PortPrediction) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%d-%d %v %q\n", p.From, p.To, p.Result.Verdicts(), p.Result.Undecided)
	}
	return b.String()
}

// TestFirewalldLogDenied: with LogDenied=all a refused port is logged
// before firewalld rejects it; with LogDenied=off it is not; an open
// service is logged in neither.
func TestFirewalldLogDenied(t *testing.T) {
	needRoot(t)
	for file, wantLog := range map[string]bool{"firewalld-logdenied-all.nft": true, "firewalld-logdenied-off.nft": false} {
		text, err := os.ReadFile(filepath.Join("../../testdata/nft", file))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := ReadText(context.Background(), bytes.NewReader(text), Options{})
		if err != nil {
			t.Fatal(err)
		}
		q := agreeQueries[0] // IPv4 TCP
		p := rules.Packet{Family: q.Family, Proto: q.Proto, Src: q.Src, Dst: q.Dst, InIface: q.InIface, Sport: 40000}
		p.Dport = 23
		refused := rs.Evaluate(p, agreeEnv)
		if v := refused.Verdicts(); len(v) != 1 || v[0] != "reject:icmp-admin-prohibited" || refused.Logged() != wantLog {
			t.Errorf("%s port 23: got %v logged=%v, want reject:icmp-admin-prohibited logged=%v", file, v, refused.Logged(), wantLog)
		}
		p.Dport = 22
		if open := rs.Evaluate(p, agreeEnv); open.Verdicts()[0] != "accept" || open.Logged() {
			t.Errorf("%s port 22: got %v logged=%v", file, open.Verdicts(), open.Logged())
		}
	}
}

// TestReadersShowRulesAlike: a rule reads the same from every reader,
// without its counter's running values.
func TestReadersShowRulesAlike(t *testing.T) {
	needRoot(t)
	text := []byte(`table inet f {
	chain input {
		type filter hook input priority filter; policy drop;
		tcp dport 22 counter packets 395986 bytes 123 accept
		tcp dport 23 quota over 10 mbytes used 5 kbytes drop
	}
}
`)
	want := []string{"tcp dport 22 counter accept", "tcp dport 23 quota over 10 mbytes drop"}
	for name, rs := range threeReads(t, text) {
		c := rs.Table(rules.FamilyInet, "f").Chain("input")
		var got []string
		for _, r := range c.Rules {
			got = append(got, r.Origin.Text)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s read shows %q, want %q", name, got, want)
		}
	}
}
