package rules

import (
	"fmt"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
)

// JumpLoop finds a loop of jumps and gotos (verdict maps' included) that
// a packet can enter from one of the table's base chains: the chains
// along it with the first repeated at the end ("A", "B", "A"), or nil
// when there is none. The kernel refuses such a table (iptables-restore,
// both backends, and nft fail with ELOOP), so only input that never came
// from a kernel holds one; the evaluator would walk it until it gave up.
// A loop among chains no base chain reaches loads, and is never walked:
// it is no loop here. Jumps to chains the table lacks are the readers'
// business, and skipped here.
func JumpLoop(t *Table) []string {
	l := loopFinder{chains: map[string]*Chain{}, state: map[string]uint8{}}
	for _, c := range t.Chains {
		l.chains[c.Name] = c
	}
	for _, c := range t.Chains {
		if c.Hook == "" {
			continue
		}
		if loop := l.visit(c); loop != nil {
			return loop
		}
	}
	return nil
}

// loopFinder is a depth-first walk of the jump graph; path holds the
// chains being visited, outermost first.
type loopFinder struct {
	chains map[string]*Chain
	state  map[string]uint8 // 1 on the path, 2 done
	path   []string
}

func (l *loopFinder) visit(c *Chain) []string {
	switch l.state[c.Name] {
	case 1:
		return l.loopTo(c.Name)
	case 2:
		return nil
	}
	l.state[c.Name] = 1
	l.path = append(l.path, c.Name)
	for _, target := range c.Jumps() {
		if next := l.chains[target]; next != nil {
			if loop := l.visit(next); loop != nil {
				return loop
			}
		}
	}
	l.path = l.path[:len(l.path)-1]
	l.state[c.Name] = 2
	return nil
}

// loopTo is the part of the path from name on, back to name.
func (l *loopFinder) loopTo(name string) []string {
	for i, n := range l.path {
		if n == name {
			return append(append([]string{}, l.path[i:]...), name)
		}
	}
	return []string{name, name}
}

// Jumps are the chains the chain's rules jump or go to, verdict maps'
// included, in rule order.
func (c *Chain) Jumps() []string {
	var out []string
	add := func(v Verdict) {
		if v.Kind == Jump || v.Kind == Goto {
			out = append(out, v.Chain)
		}
	}
	for _, r := range c.Rules {
		add(r.Verdict)
		if r.VMap != nil {
			for _, e := range r.VMap.Entries {
				add(e.Verdict)
			}
		}
	}
	return out
}

// maxLoopText is how many chains of a loop LoopText names.
const maxLoopText = 8

// LoopText spells a loop JumpLoop found, for an error message:
// `"A" -> "B" -> "A"`, each name quoted; a long loop keeps its first
// chains and its end.
func LoopText(loop []string) string {
	names := make([]string, 0, maxLoopText+1)
	for i, n := range loop {
		if len(loop) > maxLoopText && i == maxLoopText-2 {
			names = append(names, fmt.Sprintf("... (%d more)", len(loop)-maxLoopText))
		}
		if len(loop) <= maxLoopText || i < maxLoopText-2 || i >= len(loop)-2 {
			names = append(names, quote.Q(n))
		}
	}
	return strings.Join(names, " -> ")
}
