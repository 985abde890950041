package rules

// IptablesChain is a built-in chain of an iptables table as the kernel
// (and iptables-nft) registers it.
type IptablesChain struct {
	Hook     Hook
	Priority int
	Type     string // filter, nat, route
}

// IptablesBuiltins are iptables' tables and their built-in chains: the
// iptables reader creates them, and the nftables reader recognises the
// tables iptables-nft made by them. Read only.
var IptablesBuiltins = map[string]map[string]IptablesChain{
	"raw": {
		"PREROUTING": {HookPrerouting, PriorityRaw, "filter"},
		"OUTPUT":     {HookOutput, PriorityRaw, "filter"},
	},
	"mangle": {
		"PREROUTING":  {HookPrerouting, PriorityMangle, "filter"},
		"INPUT":       {HookInput, PriorityMangle, "filter"},
		"FORWARD":     {HookForward, PriorityMangle, "filter"},
		"OUTPUT":      {HookOutput, PriorityMangle, "route"},
		"POSTROUTING": {HookPostrouting, PriorityMangle, "filter"},
	},
	"nat": {
		"PREROUTING":  {HookPrerouting, PriorityDstNAT, "nat"},
		"INPUT":       {HookInput, PrioritySrcNAT, "nat"},
		"OUTPUT":      {HookOutput, PriorityDstNAT, "nat"},
		"POSTROUTING": {HookPostrouting, PrioritySrcNAT, "nat"},
	},
	"filter": {
		"INPUT":   {HookInput, PriorityFilter, "filter"},
		"FORWARD": {HookForward, PriorityFilter, "filter"},
		"OUTPUT":  {HookOutput, PriorityFilter, "filter"},
	},
	"security": {
		"INPUT":   {HookInput, PrioritySecurity, "filter"},
		"FORWARD": {HookForward, PrioritySecurity, "filter"},
		"OUTPUT":  {HookOutput, PrioritySecurity, "filter"},
	},
}
