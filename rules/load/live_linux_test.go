package load_test

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/exposure/sandbox"
	"github.com/perimeter-dev/perimeter/exposure/sandbox/labtest"
	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/load"
)

// TestLiveMixedTable: when native nftables rules share a table with
// iptables-nft's, iptables-nft can print that table wrongly (here a
// concatenated set match reads "-A INPUT -p tcp -j ACCEPT"). The live read
// must take such a table from the nft reader, and count no rule twice.
func TestLiveMixedTable(t *testing.T) {
	lab := labtest.NewTestLab(t, sandbox.Config{})
	ctx := context.Background()
	ruleset, err := os.ReadFile("../../testdata/iptables/webserver.v4")
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.LoadIPTables(ctx, false, false, false, strings.NewReader(string(ruleset))); err != nil {
		t.Fatal(err)
	}
	native := "insert rule ip filter INPUT ip saddr . tcp dport { 198.18.0.9 . 8080 } accept\n"
	if err := lab.LoadNft(ctx, strings.NewReader(native)); err != nil {
		t.Fatal(err)
	}
	var rs *rules.Ruleset
	if err := lab.Do(lab.Target, func() error {
		rs, err = load.Live(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var filters int
	for _, tb := range rs.Tables {
		if tb.Family == rules.FamilyIPv4 && tb.Name == "filter" {
			filters++
		}
	}
	if filters != 1 {
		t.Errorf("ip filter read %d times, want once", filters)
	}
	env := &rules.Env{Local: []netip.Addr{lab.TargetAddr(false)}}
	for port, want := range map[uint16]string{9999: "drop", 80: "accept", 8080: "drop"} {
		p := rules.Packet{Family: rules.FamilyIPv4, Proto: rules.ProtoTCP, Src: lab.ProberAddr(false),
			Dst: lab.TargetAddr(false), Sport: 40000, Dport: port, InIface: lab.TargetIface}
		if got := rs.Evaluate(p, env).Verdicts(); len(got) != 1 || got[0] != want {
			t.Errorf("tcp %d: got %v, want %s", port, got, want)
		}
	}
}
