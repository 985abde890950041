package ipt

import (
	"fmt"
	"slices"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// builtins are the built-in chains of each table.
var builtins = rules.IptablesBuiltins

// tableState is a table being read: its chains, and the jumps to resolve
// once every chain of the table is known (at COMMIT or end of input).
type tableState struct {
	t       *rules.Table
	chains  map[string]*rules.Chain
	pending []pendingJump
	block   map[string]bool // chains declared in the current *table block
}

// pendingJump is a rule whose -j/-g names no known target.
type pendingJump struct {
	rule   *rules.Rule
	name   string
	isGoto bool
	opts   []opt // options the name took, were it a target
	source string
	line   int
	text   string
}

func newTableState(t *rules.Table) *tableState {
	return &tableState{t: t, chains: map[string]*rules.Chain{}, block: map[string]bool{}}
}

// declare creates a chain, or sets a built-in chain's policy. policy "-"
// keeps the policy (built-in) or marks a user chain. As with
// `iptables-restore --noflush`, declaring a user chain that exists
// flushes it.
func (ts *tableState) declare(name, policy string, o rules.Origin) error {
	if ts.block[name] {
		return fmt.Errorf("chain %s declared twice", quote.Q(name))
	}
	ts.block[name] = true
	bi, isBuiltin := builtins[ts.t.Name][name]
	if !isBuiltin && policy != "-" {
		return fmt.Errorf("policy %s on user chain %s", quote.Q(policy), quote.Q(name))
	}
	c := ts.chains[name]
	if c == nil {
		c = ts.newChain(name, bi, isBuiltin)
	} else if !isBuiltin {
		c.Rules = nil
	}
	c.Origin = o
	if policy == "-" {
		return nil
	}
	return setPolicy(c, policy)
}

// setPolicy handles -P: a built-in chain's policy, set as often as the
// input likes.
func (ts *tableState) setPolicy(name, policy string, o rules.Origin) error {
	c, err := ts.chain(name)
	if err != nil || c.Hook == "" {
		return fmt.Errorf("no built-in chain %s", quote.Q(name))
	}
	c.Origin = o
	return setPolicy(c, policy)
}

func setPolicy(c *rules.Chain, policy string) error {
	switch policy {
	case "ACCEPT":
		c.Policy = rules.Verdict{Kind: rules.Accept}
	case "DROP":
		c.Policy = rules.Verdict{Kind: rules.Drop}
	default:
		return fmt.Errorf("bad policy %s", quote.Q(policy))
	}
	return nil
}

func (ts *tableState) newChain(name string, bi rules.IptablesChain, isBuiltin bool) *rules.Chain {
	c := &rules.Chain{Name: name}
	if isBuiltin {
		c.Hook, c.Priority, c.Type = bi.Hook, bi.Priority, bi.Type
		c.Policy = rules.Verdict{Kind: rules.Accept}
	}
	ts.chains[name] = c
	ts.t.Chains = append(ts.t.Chains, c)
	return c
}

// chain finds the chain a rule is added to. Built-in chains exist
// without being declared (iptables-nft creates them on first use).
func (ts *tableState) chain(name string) (*rules.Chain, error) {
	if c := ts.chains[name]; c != nil {
		return c, nil
	}
	if bi, ok := builtins[ts.t.Name][name]; ok {
		return ts.newChain(name, bi, true), nil
	}
	return nil, fmt.Errorf("no chain %s", quote.Q(name))
}

// insert adds rs (one rule, or the twins of a split --ports rule) at
// 1-based position at (0: append).
func (ts *tableState) insert(c *rules.Chain, at int, rs []*rules.Rule) error {
	if at == 0 {
		c.Rules = append(c.Rules, rs...)
		return nil
	}
	i := ruleIndex(c.Rules, at)
	if i < 0 {
		return fmt.Errorf("index %d out of range", at)
	}
	c.Rules = slices.Insert(c.Rules, i, rs...)
	return nil
}

// ruleIndex is the slice index of the at-th rule as iptables counts them
// (twins from one line count once), or -1.
func ruleIndex(rs []*rules.Rule, at int) int {
	n := 0
	for i, r := range rs {
		if i == 0 || !twins(rs[i-1], r) {
			n++
		}
		if n == at {
			return i
		}
	}
	if at == n+1 {
		return len(rs)
	}
	return -1
}

func twins(a, b *rules.Rule) bool {
	return a.Origin.Line == b.Origin.Line && a.Origin.Source == b.Origin.Source && a.Origin.Text == b.Origin.Text
}

// resolve settles every pending -j/-g once the table's chains are known.
// A name that is no chain is a target perimeter does not know when it is
// written like one (upper case); else it is a jump to a chain that does
// not exist, which iptables-restore refuses.
func (ts *tableState) resolve(notes *noteSet) error {
	for _, p := range ts.pending {
		if err := ts.resolveOne(p, notes); err != nil {
			return lineError(p.source, p.line, p.text, err)
		}
	}
	ts.pending = nil
	clear(ts.block)
	return nil
}

// checkLoops refuses a loop of jumps and gotos, as iptables-restore does
// at COMMIT (the kernel would not load the table).
func (ts *tableState) checkLoops() error {
	if loop := rules.JumpLoop(ts.t); loop != nil {
		return fmt.Errorf("table %s: chain loop %s", ts.t.Name, rules.LoopText(loop))
	}
	return nil
}

func (ts *tableState) resolveOne(p pendingJump, notes *noteSet) error {
	if ts.chains[p.name] != nil {
		if len(p.opts) > 0 {
			return fmt.Errorf("unknown option %s", quote.Q(p.opts[0].name))
		}
		p.rule.Verdict = rules.Verdict{Kind: rules.Jump, Chain: p.name}
		if p.isGoto {
			p.rule.Verdict.Kind = rules.Goto
		}
		return nil
	}
	if p.isGoto || !looksLikeTarget(p.name) {
		return fmt.Errorf("jump to undefined chain %s", quote.Q(p.name))
	}
	// Known targets that never end the walk have specs; this one may end
	// it, so the evaluator forks on it.
	p.rule.Verdict = rules.Verdict{Kind: rules.UnknownTarget, Target: p.name}
	notes.add(fmt.Sprintf("%s %s table %s: unknown target %s: it may end the packet's walk, so what follows it is undecided",
		p.source, ts.t.Family, ts.t.Name, p.name))
	return nil
}

func looksLikeTarget(name string) bool {
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// number sets every rule's 1-based Position; twins share theirs.
func (ts *tableState) number() {
	for _, c := range ts.t.Chains {
		n := 0
		for i, r := range c.Rules {
			if i == 0 || !twins(c.Rules[i-1], r) {
				n++
			}
			r.Origin.Position = n
		}
	}
}
