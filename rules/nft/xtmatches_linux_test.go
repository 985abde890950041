package nft

import (
	"encoding/binary"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

// TestXtChoices decodes the xt matches whose truth is the sender's
// choice, from blobs laid out as the kernel's structures.
func TestXtChoices(t *testing.T) {
	hashlimit := make([]byte, 312)
	ne.PutUint64(hashlimit[256:], 500000) // 2/s
	ne.PutUint64(hashlimit[264:], 4)
	ne.PutUint32(hashlimit[272:], 1<<2|1<<4) // by source, above
	connlimit := make([]byte, 24)
	ne.PutUint32(connlimit[16:], 20)
	policy := make([]byte, 4*76+4)
	binary.NativeEndian.PutUint16(policy[4*76:], 0x1|0x4) // --dir in --pol none
	cases := []struct {
		name    string
		ms      []rules.Match
		text    string
		dflt    bool
		perSec  float64
		readsIP bool
	}{
		{"hashlimit above", must2(xtHashlimit(3, hashlimit)), "-m hashlimit --hashlimit-above 2/s (burst 4)", false, 2, false},
		{"connlimit above", must2(xtConnlimit(connlimit)), "-m connlimit --connlimit-above 20", false, 0, false},
		{"policy none", must2(xtPolicy(policy)), "-m policy --dir in --pol none", true, 0, true},
	}
	for _, c := range cases {
		m := c.ms[0]
		if m.Text != c.text {
			t.Errorf("%s: text %q, want %q", c.name, m.Text, c.text)
		}
		if c.readsIP {
			if m.Fields[0] != rules.FieldIPsec || !m.Negate {
				t.Errorf("%s: want a negated IPsec match, got %+v", c.name, m)
			}
			continue
		}
		if m.Choice == nil || m.Choice.Default != c.dflt || (c.perSec > 0) != (m.Choice.Rate != nil) ||
			m.Choice.Rate != nil && m.Choice.Rate.PerSecond != c.perSec {
			t.Errorf("%s: choice %+v, want default %v at %v/s", c.name, m.Choice, c.dflt, c.perSec)
		}
	}
	if _, ok := xtHashlimit(3, hashlimit[:100]); ok {
		t.Error("a short hashlimit blob must not decode")
	}
}

func must2(ms []rules.Match, ok bool) []rules.Match {
	if !ok {
		return []rules.Match{{Text: "(did not decode)"}}
	}
	return ms
}
