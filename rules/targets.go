package rules

import "slices"

// nonTerminating are the iptables targets that never end a packet's walk:
// the kernel's target function returns XT_CONTINUE (or drops only when it
// cannot write the packet), so evaluation goes on with the next rule.
// Several change what later rules read (MARK, CONNMARK, CT, HMARK's mark,
// SET's sets, DSCP/TOS/TTL/HL's header fields); the readers model the
// first three. Both readers ask NonTerminating, so a target is either
// followed past or forked on as an UnknownTarget by both.
//
// Left out on purpose, and so UnknownTarget: SYNPROXY answers a SYN
// itself and drops it (NF_DROP, NF_STOLEN); CLUSTERIP drops the packets
// another node is responsible for; DNPT and SNPT rewrite addresses the
// evaluator does not follow and drop a packet whose address they cannot
// map; NFQUEUE, QUEUE, REJECT, TPROXY and the NAT targets end the walk
// (the readers model them).
var nonTerminating = []string{
	"AUDIT", "CHECKSUM", "CLASSIFY", "CONNMARK", "CONNSECMARK", "CT", "DSCP",
	"ECN", "HL", "HMARK", "IDLETIMER", "LED", "LOG", "MARK", "NFLOG",
	"NOTRACK", "RATEEST", "SECMARK", "SET", "TCPMSS", "TCPOPTSTRIP", "TEE",
	"TOS", "TRACE", "TTL", "ULOG",
}

// NonTerminating reports whether the iptables target name (as -j spells
// it, case counts) never ends a packet's walk.
func NonTerminating(name string) bool {
	_, ok := slices.BinarySearch(nonTerminating, name)
	return ok
}

// NonTerminatingTargets lists the targets NonTerminating knows, sorted.
func NonTerminatingTargets() []string { return slices.Clone(nonTerminating) }
