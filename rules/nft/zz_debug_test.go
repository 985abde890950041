package nft

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

func dumpRS(rs *rules.Ruleset) string {
	var b strings.Builder
	for _, n := range rs.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, t := range rs.Tables {
		fmt.Fprintf(&b, "table %s %s %s\n", t.Family, t.Name, t.Backend)
		for _, c := range t.Chains {
			fmt.Fprintf(&b, "  chain %s hook=%s prio=%d type=%s policy=%s dev=%v | %s\n", c.Name, c.Hook, c.Priority, c.Type, c.Policy, c.Devices, c.Origin.Text)
			for _, r := range c.Rules {
				var ms []string
				for _, m := range r.Matches {
					ms = append(ms, fmt.Sprintf("[%v neg=%v mask=%x n=%d %q]", m.Fields, m.Negate, m.Mask, len(m.Elems), m.Text))
				}
				var ss []string
				for _, s := range r.Statements {
					ss = append(ss, s.Text)
				}
				v := r.Verdict.String()
				if r.VMap != nil {
					v = fmt.Sprintf("vmap %v %d entries", r.VMap.Fields, len(r.VMap.Entries))
				}
				fmt.Fprintf(&b, "    #%d h%d %s | %s | %v => %s\n", r.Origin.Position, r.Origin.Handle, r.Origin.Text, strings.Join(ms, " "), ss, v)
			}
		}
	}
	return b.String()
}

func TestZZDebug(t *testing.T) {
	f := os.Getenv("NFTDBG")
	if f == "" {
		t.Skip()
	}
	text, _ := os.ReadFile(f)
	rs, err := ReadText(context.Background(), bytes.NewReader(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/nftdbg/live.txt", []byte(dumpRS(rs)), 0o644)
	var js []byte
	err = InScratchNetNS(func() error {
		if out, err := exec.Command("nft", "-f", f).CombinedOutput(); err != nil {
			return fmt.Errorf("%v %s", err, out)
		}
		js, err = exec.Command("nft", "-j", "list", "ruleset").Output()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rj, err := ParseJSON(bytes.NewReader(js), Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/nftdbg/json.txt", []byte(dumpRS(rj)), 0o644)
}
