//go:build linux

package nft

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/google/nftables"

	"github.com/perimeter-dev/perimeter/rules"
)

// setKeys is a set's elements read for one key layout: per element, an
// interval per selector, and for maps the data.
type setKeys struct {
	elems    []elem
	data     [][]byte
	verdicts []rules.Verdict
	err      error
}

// keyPart is one selector of a lookup key and how its register holds it.
type keyPart struct {
	s     sel
	host  bool
	index bool
	raw   int // bytes in the register
}

// setKeys decodes a set's elements for the selectors of a lookup, once
// per layout.
func (tr *tableReader) setKeys(s *Set, sels []sel, host, index []bool) setKeys {
	parts := make([]keyPart, len(sels))
	var sig strings.Builder
	for i, sl := range sels {
		raw := sl.size
		if index[i] {
			raw = 4
		}
		parts[i] = keyPart{sl, host[i], index[i], raw}
		fmt.Fprintf(&sig, "%s/%t/%t;", sl.name, host[i], index[i])
	}
	byLayout := tr.cache[s.Name]
	if byLayout == nil {
		byLayout = map[string]setKeys{}
		tr.cache[s.Name] = byLayout
	}
	if k, ok := byLayout[sig.String()]; ok {
		return k
	}
	k := tr.decodeSet(s, parts)
	byLayout[sig.String()] = k
	return k
}

// rawElem is one element with its key as raw intervals over the whole key.
type rawElem struct {
	lo, hi []byte
	val    []byte
}

func (tr *tableReader) decodeSet(s *Set, parts []keyPart) setKeys {
	offs, ok := keyOffsets(parts, s.KeyLen)
	if !ok {
		return setKeys{err: fmt.Errorf("set @%s: key of %d bytes does not fit %s", s.Name, s.KeyLen, selsName(partsSels(parts)))}
	}
	var raws []rawElem
	if s.Interval && !hasKeyEnd(s.Elements) && len(parts) == 1 {
		raws = intervals(s.Elements)
	} else {
		for _, e := range s.Elements {
			if e.IntervalEnd {
				continue
			}
			hi := e.Key
			if e.KeyEnd != nil {
				hi = e.KeyEnd
			}
			raws = append(raws, rawElem{e.Key, hi, e.Val})
		}
	}
	var out setKeys
	for _, r := range raws {
		el, err := tr.splitKey(parts, offs, r)
		if err != nil {
			return setKeys{err: err}
		}
		out.elems = append(out.elems, el)
		out.data = append(out.data, r.val)
		if s.DataType.Name == nftables.TypeVerdict.Name {
			v, err := elemVerdict(r.val)
			if err != nil {
				return setKeys{err: fmt.Errorf("set @%s: %w", s.Name, err)}
			}
			out.verdicts = append(out.verdicts, v)
		}
	}
	sortKeys(&out)
	return out
}

func partsSels(ps []keyPart) []sel {
	out := make([]sel, len(ps))
	for i, p := range ps {
		out[i] = p.s
	}
	return out
}

// keyOffsets places each part in the key: one part fills it; parts of a
// concatenation each take a multiple of 32 bits.
func keyOffsets(parts []keyPart, keyLen int) ([]int, bool) {
	if len(parts) == 1 {
		return []int{0}, parts[0].raw == keyLen
	}
	var offs []int
	off := 0
	for _, p := range parts {
		offs = append(offs, off)
		off += slots(p.raw) * 4
	}
	return offs, off == keyLen
}

func hasKeyEnd(es []nftables.SetElement) bool {
	for _, e := range es {
		if e.KeyEnd != nil {
			return true
		}
	}
	return false
}

// intervals rebuilds the intervals of an interval set: the kernel holds
// each as a start element and an end element (flagged, exclusive), and
// lists them in reverse.
func intervals(es []nftables.SetElement) []rawElem {
	type point struct {
		key []byte
		end bool
		val []byte
	}
	pts := make([]point, 0, len(es))
	for _, e := range es {
		pts = append(pts, point{e.Key, e.IntervalEnd, e.Val})
	}
	slices.SortStableFunc(pts, func(a, b point) int {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		switch {
		case a.end && !b.end:
			return -1
		case b.end && !a.end:
			return 1
		}
		return 0
	})
	var out []rawElem
	var open *point
	for i := range pts {
		p := &pts[i]
		if open != nil && (p.end || !bytes.Equal(p.key, open.key)) {
			if hi, ok := decBytes(p.key); ok {
				out = append(out, rawElem{open.key, hi, open.val})
			}
			open = nil
		}
		if !p.end {
			open = p
		}
	}
	if open != nil {
		out = append(out, rawElem{open.key, bytes.Repeat([]byte{0xff}, len(open.key)), open.val})
	}
	return out
}

// splitKey cuts a raw key interval into one interval per part, in the
// parts' big-endian values.
func (tr *tableReader) splitKey(parts []keyPart, offs []int, r rawElem) (elem, error) {
	out := make(elem, len(parts))
	for i, p := range parts {
		o := offs[i]
		if o+p.raw > len(r.lo) || o+p.raw > len(r.hi) {
			return nil, fmt.Errorf("element key too short")
		}
		lo, hi := r.lo[o:o+p.raw], r.hi[o:o+p.raw]
		if (p.host || p.index) && !bytes.Equal(lo, hi) {
			return nil, fmt.Errorf("range of host-order values")
		}
		d := &nlDecoder{ifaces: tr.ifaces}
		v := &regVal{host: p.host, index: p.index}
		clo, err := d.convert(v, lo)
		if err != nil {
			return nil, err
		}
		chi, err := d.convert(v, hi)
		if err != nil {
			return nil, err
		}
		out[i] = ivl{clo, chi}
	}
	return out, nil
}

// sortKeys orders elements by value, keeping data and verdicts with them.
func sortKeys(k *setKeys) {
	idx := make([]int, len(k.elems))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ea, eb := k.elems[a], k.elems[b]
		for i := range min(len(ea), len(eb)) {
			if c := bytes.Compare(ea[i].lo, eb[i].lo); c != 0 {
				return c
			}
		}
		return 0
	})
	elems := make([]elem, len(idx))
	data := make([][]byte, len(idx))
	var verdicts []rules.Verdict
	for i, j := range idx {
		elems[i], data[i] = k.elems[j], k.data[j]
		if len(k.verdicts) == len(k.elems) {
			verdicts = append(verdicts, k.verdicts[j])
		}
	}
	k.elems, k.data, k.verdicts = elems, data, verdicts
}

// elemVerdict decodes a verdict map element's data: the nftables package
// hands it over as raw NFTA_DATA_VERDICT attributes.
func elemVerdict(b []byte) (rules.Verdict, error) {
	ad, err := newDecoder(b)
	if err != nil {
		return rules.Verdict{}, err
	}
	var code int64
	var chain string
	seen := false
	for ad.Next() {
		switch ad.Type() {
		case 1: // NFTA_VERDICT_CODE
			code, seen = int64(int32(be32(ad.Bytes()))), true
		case 2: // NFTA_VERDICT_CHAIN
			chain = cstring(ad.Bytes())
		}
	}
	if err := ad.Err(); err != nil || !seen {
		return rules.Verdict{}, fmt.Errorf("bad verdict data")
	}
	v, ok := nlVerdict(code, chain)
	if !ok {
		return rules.Verdict{}, fmt.Errorf("verdict %d", code)
	}
	return v, nil
}
