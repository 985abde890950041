// Package sandbox is perimeter's test lab: a scratch "target" network
// namespace and a "prober" namespace joined by a veth pair.
//
// Rulesets are loaded into the target with the kernel's own tools
// (iptables-restore, ip6tables-restore, their -legacy twins, nft, ipset),
// stand-in listeners run in the target, and Probe connects from the prober,
// so a test sees what the kernel really does with a ruleset, at no risk to
// the host: every write happens inside the lab's own namespaces, and the lab
// uses only 198.18.0.0/15 and 2001:db8::/32.
//
// A Lab needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and the ip tool. Tests
// in other packages should use labtest.NewTestLab, which skips when that is
// missing and removes the lab when the test ends.
//
// Probe uses plain sockets with IP_RECVERR, so it sees the ICMP type and
// code that rejected a probe (see Result). It is a lab tool: the prober for
// real hosts lives in exposure/probe.
package sandbox
