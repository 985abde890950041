package rules

import (
	"fmt"
	"slices"
)

// Ruleset is everything the kernel holds, across tables, families and
// backends.
type Ruleset struct {
	Tables []*Table
	// Notes are conditions a reader met that the user must hear of: a
	// table the iptables tools cannot show, two backends holding rules at
	// once, an ipset whose contents are unknown.
	Notes []string
	// Families are the packet families the input describes: an
	// iptables-save file one, an nftables ruleset or a live host both.
	// An input says nothing about the others.
	Families []Family
}

// Describes reports whether the input describes family f (a ruleset
// built without saying, all).
func (rs *Ruleset) Describes(f Family) bool {
	return len(rs.Families) == 0 || slices.Contains(rs.Families, f)
}

// Table is an iptables table or an nftables table.
type Table struct {
	Family  Family
	Name    string
	Backend Backend
	Source  string // a file, or "live"
	Chains  []*Chain
}

// Chain is a base chain (Hook set) or a regular one.
type Chain struct {
	Name     string
	Hook     Hook
	Priority int
	Type     string   // filter, nat, route
	Policy   Verdict  // base chains: Accept or Drop
	Devices  []string // netdev ingress chains: the devices they are bound to
	Rules    []*Rule
	Origin   Origin // where the chain (and its policy) was declared
}

// Rule is one rule: when every match holds, its statements run in order,
// then its verdict (or, for an nftables verdict map, the verdict its key
// selects).
type Rule struct {
	Matches    []Match
	Statements []Statement
	Verdict    Verdict
	VMap       *VMap
	Origin     Origin
}

// VMap is an nftables verdict map: the verdict of the element the packet's
// key falls in; no element, no verdict (the rule continues).
type VMap struct {
	Fields  []Field
	Entries []VMapEntry
	Text    string
}

// VMapEntry is one element of a verdict map.
type VMapEntry struct {
	Elem    Elem
	Verdict Verdict
}

// Origin says where a rule came from, so every answer can name it.
type Origin struct {
	Source   string  `json:"source,omitempty"` // file or "live"
	Backend  Backend `json:"backend,omitempty"`
	Family   Family  `json:"family,omitempty"`
	Table    string  `json:"table"`
	Chain    string  `json:"chain"`
	Position int     `json:"position"`         // 1-based within the chain; 0 for a policy
	Line     int     `json:"line,omitempty"`   // line in Source
	Handle   uint64  `json:"handle,omitempty"` // nftables
	Text     string  `json:"text"`             // as the source wrote it
}

// Table returns the table of that family and name, or nil.
func (rs *Ruleset) Table(f Family, name string) *Table {
	for _, t := range rs.Tables {
		if t.Family == f && t.Name == name {
			return t
		}
	}
	return nil
}

// Chain returns the chain of that name, or nil.
func (t *Table) Chain(name string) *Chain {
	for _, c := range t.Chains {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// NumRules counts the rules of all tables.
func (rs *Ruleset) NumRules() int {
	n := 0
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			n += len(c.Rules)
		}
	}
	return n
}

// Merge appends other's tables, notes and families to rs.
func (rs *Ruleset) Merge(other *Ruleset) {
	rs.Tables = append(rs.Tables, other.Tables...)
	rs.Notes = append(rs.Notes, other.Notes...)
	for _, f := range other.Families {
		if !slices.Contains(rs.Families, f) {
			rs.Families = append(rs.Families, f)
		}
	}
}

func (o Origin) String() string {
	if o.Chain == "" && o.Position == 0 {
		return o.Table // not a rule: "routing", "no rules"
	}
	if o.Position == 0 && o.Backend == BackendNft {
		return fmt.Sprintf("%s %s %s policy", nftFamily[o.Family], o.Table, o.Chain)
	}
	if o.Position == 0 {
		return fmt.Sprintf("%s %s policy", o.Table, o.Chain)
	}
	if o.Handle != 0 {
		return fmt.Sprintf("%s %s %s handle %d", nftFamily[o.Family], o.Table, o.Chain, o.Handle)
	}
	return fmt.Sprintf("%s %s #%d", o.Table, o.Chain, o.Position)
}

// nftFamily names families as nft does.
var nftFamily = map[Family]string{FamilyIPv4: "ip", FamilyIPv6: "ip6", FamilyInet: "inet",
	FamilyNetdev: "netdev", FamilyBridge: "bridge", FamilyARP: "arp"}
