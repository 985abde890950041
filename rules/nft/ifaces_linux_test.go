//go:build linux

package nft

import (
	"context"
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

func TestInterfaceNames(t *testing.T) {
	text := `define wan = "eth1"
table inet t {
	chain c {
		type filter hook input priority 0;
		iif "eth9" accept
		iif $wan drop
		oif != br0 accept
		iif { "a1", b2 } accept
		iif vmap { "c3" : accept, lo : drop }
		iifname "notme" accept
	}
	chain i { type filter hook ingress devices = { "d4", "d5" } priority 0; }
}`
	got := strings.Join(interfaceNames(text), " ")
	if want := "eth9 eth1 br0 a1 b2 c3 d4 d5"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReadTextMissingInterface(t *testing.T) {
	needRoot(t)
	text := "table inet t {\n chain c { type filter hook input priority 0;\n iif \"eth9\" accept\n }\n}\n"
	rs, err := ReadText(context.Background(), strings.NewReader(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := rs.Tables[0].Chains[0].Rules[0].Matches[0]
	if m.Fields[0] != rules.FieldIIF || m.IsOpaque() {
		t.Errorf("iif \"eth9\": got %+v", m)
	}
}
