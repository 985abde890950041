//go:build linux

package nft

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/rules"
)

// Objects is a ruleset as netlink delivers it: what Translate reads.
// ReadLive fills it from the kernel; tests build it by hand.
type Objects struct {
	Tables []*nftables.Table
	Chains []*Chain
	Sets   []*Set
	// Rules in kernel order; each names its table and chain. Their
	// expressions are those of github.com/google/nftables/expr, plus
	// *Unknown for expression types that package cannot decode.
	Rules []*nftables.Rule
	// Ifaces names the namespace's interfaces by index, for iif and oif.
	Ifaces map[uint32]string
	// Texts holds nft's own spelling of rules (`nft -a list ruleset`);
	// rules missing here are spelled by perimeter.
	Texts map[RuleRef]string
}

// Chain is a chain with what the nftables package leaves out: its handle
// and the devices of a netdev (or inet ingress) base chain.
type Chain struct {
	nftables.Chain
	Handle  uint64
	Devices []string
}

// Set is a set or map with its elements. KeyLen is the key's size in
// bytes: the nftables package drops it for verdict maps.
type Set struct {
	nftables.Set
	KeyLen   int
	Elements []nftables.SetElement
}

// Unknown is an expression the nftables package has no type for: socket,
// rt, tproxy, osf, byteorder... Its Name is the kernel's name. Known ones
// carry their decoded form in Expr.
type Unknown struct {
	expr.Any // nil: only there so that an *Unknown is an expr.Any
	Name     string
	Data     []byte
	Decoded  any
}

var familyByTable = map[nftables.TableFamily]rules.Family{
	nftables.TableFamilyIPv4: rules.FamilyIPv4, nftables.TableFamilyIPv6: rules.FamilyIPv6,
	nftables.TableFamilyINet: rules.FamilyInet, nftables.TableFamilyNetdev: rules.FamilyNetdev,
	nftables.TableFamilyBridge: rules.FamilyBridge, nftables.TableFamilyARP: rules.FamilyARP,
}

// tableDormant is NFT_TABLE_F_DORMANT: the table's chains are unhooked.
const tableDormant = 1

// Translate turns netlink objects into the model. It only translates:
// whatever it cannot decode becomes an undecided match with its text.
func Translate(o *Objects, opts Options) *rules.Ruleset {
	var tables []*irTable
	var notes []string
	for _, nt := range o.Tables {
		f, ok := familyByTable[nt.Family]
		if !ok || f == rules.FamilyARP {
			continue // ARP is not IP: no packet of a probe passes it
		}
		if nt.Flags&tableDormant != 0 {
			notes = append(notes, fmt.Sprintf("nft table %s %s is dormant: its chains see no packets", familyName(f), nt.Name))
			continue
		}
		t := translateTable(o, nt, f)
		if !opts.skip(t) {
			tables = append(tables, t)
		}
	}
	rs := lowerTables(tables, opts.source("live"))
	rs.Notes = append(notes, rs.Notes...)
	return rs
}

func translateTable(o *Objects, nt *nftables.Table, f rules.Family) *irTable {
	t := &irTable{family: f, name: nt.Name, backend: rules.BackendNft}
	chains := map[string]*irChain{}
	for _, c := range o.Chains {
		if c.Table == nil || c.Table.Name != nt.Name || c.Table.Family != nt.Family {
			continue
		}
		ic := irChainOf(f, c)
		chains[c.Name] = ic
		t.chains = append(t.chains, ic)
	}
	sets := map[string]*Set{}
	for _, s := range o.Sets {
		if s.Table != nil && s.Table.Name == nt.Name && s.Table.Family == nt.Family {
			sets[s.Name] = s
		}
	}
	tr := &tableReader{t: t, fam: f, sets: sets, cache: map[string]map[string]setKeys{}, ifaces: o.Ifaces, dyn: dynsetTargets(o.Rules, nt)}
	compat := []bool{} // known, if empty: iptables-nft can show a table of policies only
	for _, r := range o.Rules {
		if r.Table == nil || r.Table.Name != nt.Name || r.Table.Family != nt.Family || r.Chain == nil {
			continue
		}
		ic := chains[r.Chain.Name]
		if ic == nil {
			continue
		}
		ir := tr.rule(r)
		ir.text = o.Texts[RuleRef{Family: f, Table: nt.Name, Chain: r.Chain.Name, Handle: r.Handle}]
		ic.rules = append(ic.rules, ir)
		compat = append(compat, iptablesCompatible(r.Exprs))
	}
	if len(sets) > 0 {
		compat = append(compat, false) // iptables-nft makes no sets
	}
	finishTable(t, tr.xt, compat)
	return t
}

func irChainOf(f rules.Family, c *Chain) *irChain {
	ic := &irChain{name: c.Name, handle: c.Handle, devices: c.Devices}
	if c.Hooknum == nil {
		return ic
	}
	ic.base, ic.typ = true, string(c.Type)
	ic.hook = hookByNum(f, uint32(*c.Hooknum))
	if c.Priority != nil {
		ic.prio = int(int32(*c.Priority))
	}
	ic.policy = rules.Accept
	if c.Policy != nil && *c.Policy == nftables.ChainPolicyDrop {
		ic.policy = rules.Drop
	}
	return ic
}

// dynsetTargets lists the sets of a table that rules add elements to:
// their contents change as packets pass.
func dynsetTargets(rs []*nftables.Rule, nt *nftables.Table) map[string]bool {
	out := map[string]bool{}
	for _, r := range rs {
		if r.Table == nil || r.Table.Name != nt.Name || r.Table.Family != nt.Family {
			continue
		}
		for _, e := range r.Exprs {
			if d, ok := e.(*expr.Dynset); ok {
				out[d.SetName] = true
			}
		}
	}
	return out
}

// iptablesCompatible reports whether a rule uses only expressions
// iptables-nft writes (and so reads back). Besides xt extensions it
// writes matches natively, port ranges as range expressions (1.8.9), and
// NFLOG as a log with a group; a log without one (nft's own, or LOG)
// it calls incompatible, as it does sets, ct and fib expressions.
func iptablesCompatible(es []expr.Any) bool {
	for _, e := range es {
		switch x := e.(type) {
		case *expr.Meta, *expr.Payload, *expr.Cmp, *expr.Range, *expr.Bitwise, *expr.Counter, *expr.Immediate,
			*expr.Verdict, *expr.Limit:
		case *expr.Log:
			if x.Key&(1<<unix.NFTA_LOG_GROUP) == 0 {
				return false
			}
		case *Unknown:
			if _, ok := x.Decoded.(*xtExpr); !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}
