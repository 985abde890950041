package rules

import (
	"strings"
	"testing"
)

func TestJumpLoop(t *testing.T) {
	tests := []struct {
		name  string
		jumps string // "A>B A>C": chain A jumps to B and to C; "A" alone: a chain without jumps; "in" is the base chain
		want  string // LoopText, or "" for no loop
	}{
		{"none", "in>A A>B B>C C", ""},
		{"self", "in>A A>A", `"A" -> "A"`},
		{"base chain", "in>in", `"in" -> "in"`},
		{"pair", "in>A A>B B>A", `"A" -> "B" -> "A"`},
		{"tail", "in>X X>A A>B B>C C>B", `"B" -> "C" -> "B"`},
		{"diamond", "in>A A>B A>C B>D C>D D", ""},
		{"unreachable, as the kernel loads it", "in A>B B>A C>C", ""},
		{"unknown target", "in>A A>missing", ""},
		{"vmap", "in>A A>B B>@A", `"A" -> "B" -> "A"`},
		{"odd bytes", "in>A A>\x1b \x1b>B B>A", `"A" -> "\x1b" -> "B" -> "A"`},
		{"long", "in>C0 C0>C1 C1>C2 C2>C3 C3>C4 C4>C5 C5>C6 C6>C7 C7>C8 C8>C9 C9>C0",
			`"C0" -> "C1" -> "C2" -> "C3" -> "C4" -> "C5" -> ... (3 more) -> "C9" -> "C0"`},
	}
	for _, tt := range tests {
		got := ""
		if loop := JumpLoop(jumpTable(tt.jumps)); loop != nil {
			got = LoopText(loop)
		}
		if got != tt.want {
			t.Errorf("%s: JumpLoop = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// jumpTable builds a table from "A>B" pairs; "B>@A" jumps through a
// verdict map. Chain "in" is a base chain on the input hook.
func jumpTable(spec string) *Table {
	t := &Table{}
	chain := func(name string) *Chain {
		if c := t.Chain(name); c != nil {
			return c
		}
		c := &Chain{Name: name}
		if name == "in" {
			c.Hook = HookInput
		}
		t.Chains = append(t.Chains, c)
		return c
	}
	for _, pair := range strings.Fields(spec) {
		from, to, ok := strings.Cut(pair, ">")
		c := chain(from)
		switch {
		case !ok:
		case strings.HasPrefix(to, "@"):
			c.Rules = append(c.Rules, &Rule{VMap: &VMap{Entries: []VMapEntry{{Verdict: Verdict{Kind: Goto, Chain: to[1:]}}}}})
		default:
			c.Rules = append(c.Rules, &Rule{Verdict: Verdict{Kind: Jump, Chain: to}})
		}
	}
	return t
}
