// Package rules is perimeter's backend-neutral model of a firewall ruleset
// and its evaluator.
//
// Readers (rules/ipt for iptables, rules/nft for nftables) translate what the
// kernel holds into one Ruleset. Evaluate walks a packet arriving from
// outside along the kernel's real path through every base chain, and Predict
// maps all 65,536 destination ports into ranges that share one outcome,
// evaluating one representative port per equivalence class.
//
// Anything the evaluator cannot decide (a rate limit, an unknown module, an
// ipset whose contents are not known) is kept as an opaque match: the result
// then lists every possible outcome and names the matches that decide
// between them. The evaluator never guesses.
package rules
