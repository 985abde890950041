package rules_test

// Which log statement did a probe meet? The rule counters of the loaded
// rules say: every iptables-nft rule counts its packets, and a native nft
// ruleset gets a counter before each log statement when the test loads it
// (withLogCounters). The counters are read from `nft -j list ruleset` and
// keyed the way the model's origins name rules: by handle, or, for the
// iptables reader's origins, by position in the chain.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/perimeter-dev/perimeter/rules"
)

// logRule is a rule with a log statement that only incoming packets meet.
type logRule struct {
	key, text string
	limited   bool // behind a rate limit: it need not fire every time
}

// inboundLogRules are the log rules a probe of q may meet: in chains that
// only the hooks of incoming packets reach (replies pass the others), and
// not for another protocol.
func inboundLogRules(rs *rules.Ruleset, q rules.Query) []logRule {
	var out []logRule
	for _, t := range rs.Tables {
		if !t.Family.Sees(q.Family) && t.Family != rules.FamilyNetdev {
			continue
		}
		in := reach(t, rules.HookIngress, rules.HookPrerouting, rules.HookInput, rules.HookForward)
		outbound := reach(t, rules.HookOutput, rules.HookPostrouting)
		for _, c := range t.Chains {
			if !in[c.Name] || outbound[c.Name] {
				continue
			}
			for _, r := range c.Rules {
				if logs(r) && !otherProtocol(r, q.Proto) {
					out = append(out, logRule{key: originKey(r.Origin), text: r.Origin.String(), limited: limited(r)})
				}
			}
		}
	}
	return out
}

// reach is the set of chains the base chains on hooks lead to.
func reach(t *rules.Table, hooks ...rules.Hook) map[string]bool {
	seen := map[string]bool{}
	var walk func(c *rules.Chain)
	walk = func(c *rules.Chain) {
		if c == nil || seen[c.Name] {
			return
		}
		seen[c.Name] = true
		for _, name := range c.Jumps() {
			walk(t.Chain(name))
		}
	}
	for _, c := range t.Chains {
		if slices.Contains(hooks, c.Hook) {
			walk(c)
		}
	}
	return seen
}

func logs(r *rules.Rule) bool {
	return slices.ContainsFunc(r.Statements, func(s rules.Statement) bool { return s.Kind == rules.StmtLog })
}

func limited(r *rules.Rule) bool {
	return slices.ContainsFunc(r.Matches, func(m rules.Match) bool { return m.IsLimit() })
}

// otherProtocol reports whether r only matches a protocol other than p.
func otherProtocol(r *rules.Rule, p uint8) bool {
	for _, m := range r.Matches {
		if len(m.Fields) == 1 && m.Fields[0] == rules.FieldL4Proto && !m.Negate && len(m.Elems) == 1 {
			if iv := m.Elems[0][0]; len(iv.Lo) == 1 && (iv.Lo[0] > p || iv.Hi[0] < p) {
				return true
			}
		}
		if len(m.Fields) == 1 && (m.Fields[0] == rules.FieldICMPType || m.Fields[0] == rules.FieldICMPCode) {
			return true
		}
	}
	return false
}

// originKey names a rule as the counters do.
func originKey(o rules.Origin) string {
	fam := map[rules.Family]string{rules.FamilyIPv4: "ip", rules.FamilyIPv6: "ip6"}[o.Family]
	if fam == "" {
		fam = string(o.Family)
	}
	if o.Handle != 0 {
		return fmt.Sprintf("%s %s %s handle %d", fam, o.Table, o.Chain, o.Handle)
	}
	return fmt.Sprintf("%s %s %s #%d", fam, o.Table, o.Chain, o.Position)
}

func logKeys(evs []rules.LogEvent) map[string]bool {
	out := map[string]bool{}
	for _, e := range evs {
		out[originKey(e.Origin)] = true
	}
	return out
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// counters reads every rule's packet counter in the lab's target, under
// both names a rule may have: its handle and its position.
func (o *oracle) counters() map[string]uint64 {
	out, err := o.lab.Run(o.ctx, o.lab.Target, nil, "nft", "-j", "list", "ruleset")
	must(o.t, err)
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Family, Table, Chain string
				Handle               uint64
				Expr                 []map[string]json.RawMessage
			}
		}
	}
	must(o.t, json.Unmarshal(out, &doc))
	counts := map[string]uint64{}
	position := map[string]int{}
	for _, item := range doc.Nftables {
		r := item.Rule
		if r == nil {
			continue
		}
		chain := fmt.Sprintf("%s %s %s", r.Family, r.Table, r.Chain)
		position[chain]++
		n := packetsOf(r.Expr)
		counts[fmt.Sprintf("%s handle %d", chain, r.Handle)] = n
		counts[fmt.Sprintf("%s #%d", chain, position[chain])] = n
	}
	return counts
}

// packetsOf is the packets of a rule's counter expression.
func packetsOf(exprs []map[string]json.RawMessage) uint64 {
	for _, e := range exprs {
		if raw, ok := e["counter"]; ok {
			var c struct{ Packets uint64 }
			if json.Unmarshal(raw, &c) == nil {
				return c.Packets
			}
		}
	}
	return 0
}

// checkLogs compares the log rules that fired between two readings of
// the counters with the expected ones: an expected rule must have fired
// (unless a rate limit may have held it back), any other must not.
func (o *oracle) checkLogs(what string, universe []logRule, expected map[string]bool, before, after map[string]uint64) {
	for _, lr := range universe {
		fired := after[lr.key] - before[lr.key]
		switch {
		case expected[lr.key] && fired == 0 && !lr.limited:
			o.tally[logsDisagreed]++
			o.t.Errorf("%s: predicted to log by %s, whose counter did not move", what, lr.text)
		case !expected[lr.key] && fired > 0:
			o.tally[logsDisagreed]++
			o.t.Errorf("%s: %s logged %d packets, which the prediction does not have it log", what, lr.text, fired)
		default:
			o.tally[logsAgreed]++
		}
	}
}

// logStatement finds nft log statements outside quoted strings.
var logStatement = regexp.MustCompile(`(^|[\s;{])log(\s|$|;)`)

// withLogCounters puts a counter before every log statement of an nft
// ruleset's text that has none, so that the test can tell which fired;
// quoted strings and comments are left alone.
func withLogCounters(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if strings.Contains(line, "counter") {
			continue
		}
		parts := strings.Split(line, `"`)
		for j := 0; j < len(parts); j += 2 {
			code, comment, found := strings.Cut(parts[j], "#")
			parts[j] = logStatement.ReplaceAllString(code, "${1}counter log$2")
			if found {
				parts[j] += "#" + comment
				break
			}
		}
		lines[i] = strings.Join(parts, `"`)
	}
	return strings.Join(lines, "\n")
}
