//go:build linux

package nft

import (
	"bytes"
	"fmt"
)

// The kernel's expressions talk through registers: a load writes one, a
// cmp or lookup reads it. The decoder follows what each register holds,
// so a cmp can be turned back into "selector op value".

// regVal is what a register holds.
type regVal struct {
	// parts are the selectors loaded, in order: one, or several a
	// merged payload load covers; the last may be loaded only in part
	// (a prefix: "ip saddr 10.0.0.0/8" loads one byte).
	parts []part
	// host: the value is in host byte order (meta mark, ct state...).
	host bool
	// index: an interface index, named through the namespace's
	// interfaces.
	index bool
	// mask and xor of a bitwise expression applied to it, in register
	// bytes; nil when none.
	mask, xor []byte
	imm       []byte    // an immediate's data
	mapv      *mapValue // a map lookup's result
	// opaque, when set, names a value the evaluator cannot read
	// (numgen, socket...); unknown, a value something undecodable wrote.
	unknown string
	size    int // bytes in the register
}

// part is one selector of a load, and how many of its bytes were loaded.
type part struct {
	s sel
	n int
}

// mapValue is the data a map lookup wrote: per element of the keys, its
// data.
type mapValue struct {
	sels []sel
	keys []elem
	data [][]byte
	set  string
	text string
}

func (r *regVal) single() (sel, bool) {
	if len(r.parts) == 1 && r.parts[0].n == r.parts[0].s.size && r.mapv == nil && r.imm == nil {
		return r.parts[0].s, true
	}
	return sel{}, false
}

// regs maps a register to what it holds. Registers are counted in 32-bit
// slots: NFT_REG_1..4 are 16 bytes each (slots 0, 4, 8, 12) and
// NFT_REG32_00..15 are slots 0..15.
type regs map[int]*regVal

func slotOf(reg uint32) (int, bool) {
	switch {
	case reg >= 1 && reg <= 4:
		return int(reg-1) * 4, true
	case reg >= 8 && reg <= 23:
		return int(reg - 8), true
	}
	return 0, false
}

func slots(size int) int { return max(1, (size+3)/4) }

func (rs regs) write(reg uint32, v *regVal) {
	s, ok := slotOf(reg)
	if !ok {
		return
	}
	n := slots(v.size)
	for i := s - 3; i < s+n; i++ {
		if old := rs[i]; old != nil && i+slots(old.size) > s {
			delete(rs, i)
		}
	}
	rs[s] = v
}

// read returns what reg holds, or nil when nothing the decoder knows
// wrote it.
func (rs regs) read(reg uint32) *regVal {
	s, ok := slotOf(reg)
	if !ok {
		return nil
	}
	return rs[s]
}

// readKey returns the values of consecutive registers that together make
// a key of size bytes (a concatenation pads each part to 32 bits).
func (rs regs) readKey(reg uint32, size int) ([]*regVal, bool) {
	s, ok := slotOf(reg)
	if !ok {
		return nil, false
	}
	var out []*regVal
	for used := 0; used < size; {
		v := rs[s]
		if v == nil {
			return out, false
		}
		out = append(out, v)
		if len(out) == 1 && v.size == size {
			return out, true
		}
		used += slots(v.size) * 4
		s += slots(v.size)
	}
	return out, true
}

// convert turns register bytes of v's single selector into the
// selector's big-endian value.
func (d *nlDecoder) convert(v *regVal, raw []byte) ([]byte, error) {
	switch {
	case v.index:
		if len(raw) != 4 {
			return nil, errValue
		}
		idx := beUint(hostToBE(raw))
		name, ok := d.ifaces[uint32(idx)]
		if !ok {
			return nil, fmt.Errorf("interface %d unknown", idx)
		}
		return ifaceKey(name), nil
	case v.host:
		return hostToBE(raw), nil
	}
	return bytes.Clone(raw), nil
}
