// Package reject is perimeter's one table of REJECT types: each type's
// iptables spelling and aliases, its family, the ICMP type and code it
// sends, the kernel's xt REJECT numbering of it, and nft's names of its
// code and of the family-independent icmpx codes. The rules readers, the
// evaluator and the probers all look reject types up here, so that no two
// of them can disagree on what a reject sends. It depends on the standard
// library only: both rules and exposure import it.
package reject
