package rules

// Family is the address family of a packet (ipv4, ipv6) or of a table, which
// may also be one of nftables' multi-family or layer-2 families.
type Family string

// Families. Packets are only ever FamilyIPv4 or FamilyIPv6.
const (
	FamilyIPv4   Family = "ipv4"
	FamilyIPv6   Family = "ipv6"
	FamilyInet   Family = "inet"
	FamilyNetdev Family = "netdev"
	FamilyBridge Family = "bridge"
	FamilyARP    Family = "arp"
)

// Sees reports whether a table of family f sees packets of family pkt on
// the IP hooks.
func (f Family) Sees(pkt Family) bool {
	return f == pkt || f == FamilyInet
}

// Backend names where a table was read from. Both iptables backends can
// hold rules at once, next to native nftables tables.
type Backend string

// Backends.
const (
	BackendIptablesNft    Backend = "iptables-nft"
	BackendIptablesLegacy Backend = "iptables-legacy"
	BackendIptablesFile   Backend = "iptables-save"
	BackendNft            Backend = "nft"
)

// Hook is a netfilter hook a base chain is attached to.
type Hook string

// Hooks on a packet's way in. Output and postrouting are kept for
// completeness; incoming traffic never passes them.
const (
	HookIngress     Hook = "ingress"
	HookPrerouting  Hook = "prerouting"
	HookInput       Hook = "input"
	HookForward     Hook = "forward"
	HookOutput      Hook = "output"
	HookPostrouting Hook = "postrouting"
)

// Priorities of the iptables tables on their hooks, as the kernel
// registers them (include/uapi/linux/netfilter_ipv4.h).
const (
	PriorityRaw       = -300
	PriorityConntrack = -200
	PriorityMangle    = -150
	PriorityDstNAT    = -100
	PriorityFilter    = 0
	PrioritySecurity  = 50
	PrioritySrcNAT    = 100
)
