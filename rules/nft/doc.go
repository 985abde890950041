// Package nft reads nftables rulesets into perimeter's model.
//
// ReadLive reads the kernel's ruleset over netlink (the caller's network
// namespace, or one given by file descriptor): tables through
// github.com/google/nftables, chains, sets, set elements and rules by
// perimeter's own decoding of the netlink messages, because that package
// drops chain devices and every expression type it has no Go type for,
// garbles verdict map types, and costs one more round trip per set.
// Expressions the package knows are decoded with its types; the rest
// become *Unknown, so a rule never silently loses a condition. Rule texts
// come from `nft -a list ruleset` run in the same namespace, matched by
// table, chain and handle. ReadText loads nft syntax into a scratch
// network namespace with the real nft (interfaces the text names by iif,
// oif or device get stand-ins there) and reads it back the same way.
// ParseJSON reads `nft -j list ruleset` output without touching the
// kernel. Translate is the pure translation the live readers use, for
// tests to feed decoded objects (Linux only, as the nftables package).
//
// Both kinds of input meet in one intermediate form close to nft's syntax
// (a selector compared with values, a statement, a verdict): the netlink
// decoder rebuilds it by following registers, as nft's own listing does,
// and adds nothing; the JSON reader adds the protocol dependencies nft
// leaves unwritten ("tcp dport" implies "meta l4proto tcp"). One lowering
// turns that form into model rules and one renderer spells it, so the two
// give the same model, down to the names of undecided matches.
//
// How nftables maps onto the model:
//
//   - Every table of family ip, ip6, inet and netdev becomes a model
//     table; base chains keep hook, priority, type, policy and devices, so
//     the evaluator runs them all in priority order, netdev ingress first.
//     Bridge tables are kept with a note (the prediction leaves bridged
//     traffic out), arp tables are left out, dormant tables too (noted).
//   - A rule runs left to right; the model runs matches, then statements,
//     then the verdict. A statement with an effect (log, mark, notrack)
//     before a later match is cut into a rule of its own with the same
//     origin that continues: "log tcp dport 22 drop" logs every packet, as
//     the kernel does. Counters never cut.
//   - Sets, maps and concatenations become matches over several fields;
//     verdict maps become rules.VMap; a NAT whose target comes from a map
//     becomes one rule per element. A lookup into a set that rules fill
//     as packets pass (add @set, update @set) is undecided: its contents
//     now say nothing of the next packet.
//   - ct state sets become bit tests: the kernel's state is one bit, and
//     the model keeps DNAT and SNAT bits beside it.
//   - What the evaluator cannot read (limits, quotas, socket, rt, osf,
//     numgen, ct count, meta skuid, unknown expressions, or a comparison
//     of a register nothing decodable wrote) becomes an opaque match named
//     by its nft text: the prediction then names it, never guesses.
//   - A reject whose ICMP type depends on the packet's family (inet's
//     icmpx admin-prohibited) becomes one rule per family.
//   - Tables iptables-nft made are labelled rules.BackendIptablesNft;
//     Options.SkipIptablesNft or Options.SkipTable leave them to the
//     iptables reader so that no rule counts twice. Their xt extensions
//     are decoded from the blobs for the common matches and targets.
package nft
