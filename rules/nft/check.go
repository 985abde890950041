package nft

import (
	"fmt"

	"github.com/perimeter-dev/perimeter/rules"
)

// maxJumpDepth is the kernel's NFT_JUMP_STACK_SIZE.
const maxJumpDepth = 16

// checkJumps refuses what the kernel would refuse to load: a jump or goto
// to a chain the table lacks, a loop of jumps, or jumps nested deeper than
// the kernel's stack. Only input that never came from a kernel can hold
// these; the evaluator would walk a loop until it gave up.
func checkJumps(rs *rules.Ruleset) error {
	for _, t := range rs.Tables {
		state := map[string]int{} // 1 visiting, 2 done
		var visit func(c *rules.Chain, depth int) error
		visit = func(c *rules.Chain, depth int) error {
			switch state[c.Name] {
			case 1:
				return fmt.Errorf("table %s %s: chain %s jumps back to itself", familyName(t.Family), t.Name, c.Name)
			case 2:
				return nil
			}
			if depth > maxJumpDepth {
				return fmt.Errorf("table %s %s: jumps nest deeper than %d", familyName(t.Family), t.Name, maxJumpDepth)
			}
			state[c.Name] = 1
			for _, target := range jumpTargets(c) {
				next := t.Chain(target)
				if next == nil {
					return fmt.Errorf("table %s %s: chain %s jumps to unknown chain %q", familyName(t.Family), t.Name, c.Name, target)
				}
				if err := visit(next, depth+1); err != nil {
					return err
				}
			}
			state[c.Name] = 2
			return nil
		}
		for _, c := range t.Chains {
			if err := visit(c, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func jumpTargets(c *rules.Chain) []string {
	var out []string
	add := func(v rules.Verdict) {
		if v.Kind == rules.Jump || v.Kind == rules.Goto {
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
