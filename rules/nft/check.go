package nft

import (
	"fmt"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// maxJumpDepth is the kernel's NFT_JUMP_STACK_SIZE.
const maxJumpDepth = 16

// checkJumps refuses what the kernel would refuse to load: a jump or goto
// to a chain the table lacks, and, on the way from a base chain, a loop of
// jumps or jumps nested deeper than the kernel's stack (chains no base
// chain reaches the kernel loads as they are). Only input that never came
// from a kernel can hold these (JSON); the evaluator would walk a loop
// until it gave up.
func checkJumps(rs *rules.Ruleset) error {
	for _, t := range rs.Tables {
		if err := checkTable(t); err != nil {
			return fmt.Errorf("table %s %s: %w", familyName(t.Family), quote.Q(t.Name), err)
		}
	}
	return nil
}

func checkTable(t *rules.Table) error {
	chains := map[string]*rules.Chain{}
	for _, c := range t.Chains {
		chains[c.Name] = c
	}
	for _, c := range t.Chains {
		for _, target := range c.Jumps() {
			if chains[target] == nil {
				return fmt.Errorf("chain %s jumps to unknown chain %s", quote.Q(c.Name), quote.Q(target))
			}
		}
	}
	if loop := rules.JumpLoop(t); loop != nil {
		return fmt.Errorf("chain loop %s", rules.LoopText(loop))
	}
	depth := map[string]int{}
	for _, c := range t.Chains {
		if c.Hook != "" && jumpDepth(c, chains, depth) > maxJumpDepth {
			return fmt.Errorf("jumps nest deeper than %d", maxJumpDepth)
		}
	}
	return nil
}

// jumpDepth is the most jumps a walk from c takes; the table has no loop.
func jumpDepth(c *rules.Chain, chains map[string]*rules.Chain, memo map[string]int) int {
	if d, ok := memo[c.Name]; ok {
		return d
	}
	d := 0
	for _, target := range c.Jumps() {
		d = max(d, 1+jumpDepth(chains[target], chains, memo))
	}
	memo[c.Name] = d
	return d
}
