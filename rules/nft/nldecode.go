//go:build linux

package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
)

// The nftables package decodes rules itself, but silently drops every
// expression type it has no Go type for (socket, rt, byteorder, osf,
// fwd...), so a rule can come back with a match missing. perimeter
// decodes the netlink messages of chains, sets and rules itself, uses the
// package's types for the expressions it knows, and keeps the others as
// *Unknown: a rule never loses a condition without saying so.

// Netlink attribute numbers (include/uapi/linux/netfilter/nf_tables.h).
const (
	attrListElem     = 1
	attrExprName     = 1
	attrExprData     = 2
	attrRuleTable    = 1
	attrRuleChain    = 2
	attrRuleHandle   = 3
	attrRuleExprs    = 4
	attrRulePosition = 6
	attrRuleUserdata = 7

	attrChainTable  = 1
	attrChainHandle = 2
	attrChainName   = 3
	attrChainHook   = 4
	attrChainPolicy = 5
	attrChainType   = 7
	attrHookNum     = 1
	attrHookPrio    = 2
	attrHookDev     = 3
	attrHookDevs    = 4

	attrSetTable    = 1
	attrSetName     = 2
	attrSetFlags    = 3
	attrSetKeyType  = 4
	attrSetKeyLen   = 5
	attrSetDataType = 6
	attrSetDataLen  = 7
	attrSetTimeout  = 11
	attrSetHandle   = 16
)

// Set flags (NFT_SET_*).
const (
	setAnonymous = 0x1
	setConstant  = 0x2
	setInterval  = 0x4
	setMap       = 0x8
	setTimeout   = 0x10
	setEval      = 0x20
	setObject    = 0x40
	setConcat    = 0x80
)

// verdictDataType is the data type the kernel gives verdict maps.
const verdictDataType = 0xffffff00

func newDecoder(b []byte) (*netlink.AttributeDecoder, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, err
	}
	ad.ByteOrder = binary.BigEndian
	return ad, nil
}

// cstring reads a NUL-terminated netlink string.
func cstring(b []byte) string {
	return string(bytes.TrimRight(b, "\x00"))
}

func be32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func be64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// parseRule decodes one NFT_MSG_NEWRULE message body (after the 4-byte
// nfgenmsg header).
func parseRule(fam nftables.TableFamily, b []byte) (*nftables.Rule, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	r := &nftables.Rule{}
	for ad.Next() {
		switch ad.Type() {
		case attrRuleTable:
			r.Table = &nftables.Table{Name: cstring(ad.Bytes()), Family: fam}
		case attrRuleChain:
			r.Chain = &nftables.Chain{Name: cstring(ad.Bytes())}
		case attrRuleHandle:
			r.Handle = be64(ad.Bytes())
		case attrRulePosition:
			r.Position = be64(ad.Bytes())
		case attrRuleUserdata:
			r.UserData = bytes.Clone(ad.Bytes())
		case attrRuleExprs:
			es, err := decodeExprs(byte(fam), ad.Bytes())
			if err != nil {
				return nil, fmt.Errorf("rule expressions: %w", err)
			}
			r.Exprs = es
		}
	}
	return r, ad.Err()
}

// decodeExprs decodes a list of expressions.
func decodeExprs(fam byte, b []byte) ([]expr.Any, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	var out []expr.Any
	for ad.Next() {
		if ad.Type() != attrListElem {
			continue
		}
		e, err := decodeExprElem(fam, ad.Bytes())
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, ad.Err()
}

func decodeExprElem(fam byte, b []byte) (expr.Any, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	var name string
	var data []byte
	for ad.Next() {
		switch ad.Type() {
		case attrExprName:
			name = cstring(ad.Bytes())
		case attrExprData:
			data = bytes.Clone(ad.Bytes())
		}
	}
	if err := ad.Err(); err != nil {
		return nil, err
	}
	return decodeExpr(fam, name, data), nil
}

// decodeExpr decodes one expression: a type of the expr package where
// it has one, else an *Unknown.
func decodeExpr(fam byte, name string, data []byte) expr.Any {
	if e := decodeOwn(name, data); e != nil {
		return e
	}
	e := newExpr(name)
	if e == nil {
		return &Unknown{Name: name, Data: data}
	}
	if err := unmarshalSafe(fam, data, e); err != nil {
		return &Unknown{Name: name, Data: data}
	}
	if imm, ok := e.(*expr.Immediate); ok && imm.Register == 0 {
		v := &expr.Verdict{}
		if err := unmarshalSafe(fam, data, v); err != nil {
			return &Unknown{Name: name, Data: data}
		}
		return v
	}
	return e
}

// unmarshalSafe guards against the package's decoders panicking on
// malformed data.
func unmarshalSafe(fam byte, data []byte, e expr.Any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decode: %v", r)
		}
	}()
	return expr.Unmarshal(fam, data, e)
}

// newExpr returns an empty expression of the expr package's type for a
// kernel expression name.
func newExpr(name string) expr.Any {
	switch name {
	case "ct":
		return &expr.Ct{}
	case "range":
		return &expr.Range{}
	case "meta":
		return &expr.Meta{}
	case "cmp":
		return &expr.Cmp{}
	case "counter":
		return &expr.Counter{}
	case "objref":
		return &expr.Objref{}
	case "payload":
		return &expr.Payload{}
	case "lookup":
		return &expr.Lookup{}
	case "immediate":
		return &expr.Immediate{}
	case "bitwise":
		return &expr.Bitwise{}
	case "redir":
		return &expr.Redir{}
	case "nat":
		return &expr.NAT{}
	case "limit":
		return &expr.Limit{}
	case "quota":
		return &expr.Quota{}
	case "dynset":
		return &expr.Dynset{}
	case "log":
		return &expr.Log{}
	case "exthdr":
		return &expr.Exthdr{}
	case "match":
		return &expr.Match{}
	case "target":
		return &expr.Target{}
	case "connlimit":
		return &expr.Connlimit{}
	case "queue":
		return &expr.Queue{}
	case "flow_offload":
		return &expr.FlowOffload{}
	case "reject":
		return &expr.Reject{}
	case "masq":
		return &expr.Masq{}
	case "hash":
		return &expr.Hash{}
	case "synproxy":
		return &expr.SynProxy{}
	case "fib":
		return &expr.Fib{}
	case "numgen":
		return &expr.Numgen{}
	case "socket":
		return &expr.Socket{}
	case "tproxy":
		return &expr.TProxy{}
	case "dup":
		return &expr.Dup{}
	}
	return nil
}

// Expressions perimeter decodes itself.

// byteorderExpr converts a register between host and network order.
type byteorderExpr struct {
	sreg, dreg, op, length, size uint32
}

const (
	byteorderNtoh = 0
	byteorderHton = 1
)

// readerExpr loads a value the evaluator cannot read (rt, osf, xfrm...).
type readerExpr struct {
	name string
	dreg uint32
	size int
	host bool
}

// ctExpr loads (or sets) a conntrack key; dir is -1 when none is given.
type ctExpr struct {
	key, reg uint32
	set      bool
	dir      int
}

// bitwiseShift is a bitwise expression other than mask-and-xor.
type bitwiseShift struct {
	dreg, len uint32
}

// decodeOwn decodes the expressions the expr package gets wrong or
// lacks; nil for the others.
func decodeOwn(name string, data []byte) expr.Any {
	switch name {
	case "notrack", "ct", "match", "target", "byteorder", "bitwise", "rt", "osf", "xfrm":
	default:
		return nil
	}
	attrs := map[uint16][]byte{}
	if ad, err := newDecoder(data); err == nil {
		for ad.Next() {
			attrs[ad.Type()] = ad.Bytes()
		}
		if ad.Err() != nil {
			return nil
		}
	}
	switch name {
	case "notrack":
		return &expr.Notrack{}
	case "ct":
		// The expr package misses NFTA_CT_SREG (ct set) and reads the
		// one-byte direction as four.
		c := &ctExpr{key: be32(attrs[2]), reg: be32(attrs[1]), dir: -1}
		if sreg, ok := attrs[4]; ok {
			c.reg, c.set = be32(sreg), true
		}
		if dir, ok := attrs[3]; ok && len(dir) >= 1 {
			c.dir = int(dir[0])
		}
		return &Unknown{Name: name, Data: data, Decoded: c}
	case "match", "target":
		// The expr package decodes a few extensions, some with the
		// wrong byte order; perimeter reads the blobs itself (xt.go).
		return &Unknown{Name: name, Data: data, Decoded: &xtExpr{target: name == "target",
			name: cstring(attrs[1]), rev: be32(attrs[2]), info: bytes.Clone(attrs[3])}}
	case "byteorder":
		b := &byteorderExpr{sreg: be32(attrs[1]), dreg: be32(attrs[2]), op: be32(attrs[3]), length: be32(attrs[4]), size: be32(attrs[5])}
		return &Unknown{Name: name, Data: data, Decoded: b}
	case "bitwise":
		if op, ok := attrs[6]; ok && be32(op) != 0 { // NFTA_BITWISE_OP: a shift
			return &Unknown{Name: name, Data: data, Decoded: &bitwiseShift{dreg: be32(attrs[2]), len: be32(attrs[3])}}
		}
	case "rt":
		key := be32(attrs[2])
		names := map[uint32]string{0: "rt classid", 1: "rt ip nexthop", 2: "rt ip6 nexthop", 3: "rt mtu", 4: "rt ipsec"}
		sizes := map[uint32]int{0: 4, 1: 4, 2: 16, 3: 2, 4: 1}
		n, ok := names[key]
		if !ok {
			n = fmt.Sprintf("rt key %d", key)
		}
		return &Unknown{Name: name, Data: data, Decoded: &readerExpr{name: n, dreg: be32(attrs[1]), size: max(sizes[key], 1), host: key == 0 || key == 3}}
	case "osf":
		return &Unknown{Name: name, Data: data, Decoded: &readerExpr{name: "osf name", dreg: be32(attrs[1]), size: 16}}
	case "xfrm":
		return &Unknown{Name: name, Data: data, Decoded: &readerExpr{name: "ipsec", dreg: be32(attrs[1]), size: 4}}
	}
	return nil
}

// parseChain decodes one NFT_MSG_NEWCHAIN message body.
func parseChain(fam nftables.TableFamily, b []byte) (*Chain, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	c := &Chain{}
	for ad.Next() {
		switch ad.Type() {
		case attrChainTable:
			c.Table = &nftables.Table{Name: cstring(ad.Bytes()), Family: fam}
		case attrChainName:
			c.Name = cstring(ad.Bytes())
		case attrChainHandle:
			c.Handle = be64(ad.Bytes())
		case attrChainType:
			c.Type = nftables.ChainType(cstring(ad.Bytes()))
		case attrChainPolicy:
			p := nftables.ChainPolicy(be32(ad.Bytes()))
			c.Policy = &p
		case attrChainHook:
			if err := c.parseHook(ad.Bytes()); err != nil {
				return nil, err
			}
		}
	}
	return c, ad.Err()
}

func (c *Chain) parseHook(b []byte) error {
	ad, err := newDecoder(b)
	if err != nil {
		return err
	}
	for ad.Next() {
		switch ad.Type() {
		case attrHookNum:
			h := nftables.ChainHook(be32(ad.Bytes()))
			c.Hooknum = &h
		case attrHookPrio:
			p := nftables.ChainPriority(int32(be32(ad.Bytes())))
			c.Priority = &p
		case attrHookDev:
			if dev := cstring(ad.Bytes()); !slices.Contains(c.Devices, dev) {
				c.Devices = append(c.Devices, dev)
			}
		case attrHookDevs:
			devs, err := newDecoder(ad.Bytes())
			if err != nil {
				return err
			}
			for devs.Next() {
				if dev := cstring(devs.Bytes()); !slices.Contains(c.Devices, dev) {
					c.Devices = append(c.Devices, dev)
				}
			}
			if err := devs.Err(); err != nil {
				return err
			}
		}
	}
	return ad.Err()
}

// parseSet decodes one NFT_MSG_NEWSET message body. The nftables package
// drops the key type of verdict maps and refuses sets of a data type it
// does not know, so sets are decoded here.
func parseSet(fam nftables.TableFamily, b []byte) (*Set, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	s := &Set{}
	for ad.Next() {
		switch ad.Type() {
		case attrSetTable:
			s.Table = &nftables.Table{Name: cstring(ad.Bytes()), Family: fam}
		case attrSetName:
			s.Name = cstring(ad.Bytes())
		case attrSetFlags:
			f := be32(ad.Bytes())
			s.Anonymous, s.Constant, s.Interval = f&setAnonymous != 0, f&setConstant != 0, f&setInterval != 0
			s.IsMap, s.HasTimeout, s.Dynamic, s.Concatenation = f&setMap != 0, f&setTimeout != 0, f&setEval != 0, f&setConcat != 0
		case attrSetKeyLen:
			s.KeyLen = int(be32(ad.Bytes()))
			s.KeyType.Bytes = uint32(s.KeyLen)
		case attrSetDataType:
			if be32(ad.Bytes()) == verdictDataType {
				s.DataType = nftables.TypeVerdict
			}
		case attrSetDataLen:
			s.DataType.Bytes = be32(ad.Bytes())
		case attrSetTimeout:
			s.HasTimeout = true
		}
	}
	return s, ad.Err()
}

// ruleComment reads a rule's comment from its user data, safely.
func ruleComment(ud []byte) string {
	for len(ud) >= 2 {
		typ, n := ud[0], int(ud[1])
		if len(ud) < 2+n {
			return ""
		}
		if typ == 0 { // NFTNL_UDATA_RULE_COMMENT
			return cstring(ud[2 : 2+n])
		}
		ud = ud[2+n:]
	}
	return ""
}

// Set element attributes (NFTA_SET_ELEM_*).
const (
	attrElemListElements = 3
	attrElemKey          = 1
	attrElemData         = 2
	attrElemFlags        = 3
	attrElemKeyEnd       = 10
	elemIntervalEnd      = 1
)

// parseElements decodes one NFT_MSG_NEWSETELEM message body: the elements
// of a set. A verdict map element's data is left as the raw
// NFTA_DATA_VERDICT attributes, as the nftables package leaves it.
func parseElements(b []byte) ([]nftables.SetElement, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	var out []nftables.SetElement
	for ad.Next() {
		if ad.Type() != attrElemListElements {
			continue
		}
		list, err := newDecoder(ad.Bytes())
		if err != nil {
			return nil, err
		}
		for list.Next() {
			e, err := parseElement(list.Bytes())
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if err := list.Err(); err != nil {
			return nil, err
		}
	}
	return out, ad.Err()
}

func parseElement(b []byte) (nftables.SetElement, error) {
	var e nftables.SetElement
	ad, err := newDecoder(b)
	if err != nil {
		return e, err
	}
	for ad.Next() {
		switch ad.Type() {
		case attrElemKey:
			e.Key, err = dataValue(ad.Bytes())
		case attrElemKeyEnd:
			e.KeyEnd, err = dataValue(ad.Bytes())
		case attrElemData:
			e.Val, err = dataValue(ad.Bytes())
		case attrElemFlags:
			e.IntervalEnd = be32(ad.Bytes())&elemIntervalEnd != 0
		}
		if err != nil {
			return e, err
		}
	}
	return e, ad.Err()
}

// dataValue reads nested NFTA_DATA_VALUE (or NFTA_DATA_VERDICT) content.
func dataValue(b []byte) ([]byte, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	var out []byte
	for ad.Next() {
		switch ad.Type() {
		case 1, 2: // NFTA_DATA_VALUE, NFTA_DATA_VERDICT
			out = bytes.Clone(ad.Bytes())
		}
	}
	return out, ad.Err()
}
