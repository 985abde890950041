package rules

// Tri is a three-valued truth: a match holds, does not, or cannot be
// decided from what perimeter knows.
type Tri uint8

// Truth values.
const (
	False Tri = iota
	True
	Unknown
)

// eval decides one match for the walker's packet: Unknown leaves it to
// settle, which forks.
func (w *walker) eval(m *Match) Tri {
	if t, ok := w.evalFree(m); ok {
		return t
	}
	if m.Recent != nil && !w.hc.fills(m.Recent.Name) {
		// No rule fills the list: first contact holds for every probe.
		return truth(w.recent[m.Recent.Name] >= max(1, m.Recent.HitCount) != m.Negate)
	}
	if m.IsOpaque() || m.Recent != nil || m.Choice != nil || m.readsIPsec() {
		return Unknown
	}
	if len(m.Fields) == 1 {
		key, ok, unknown := w.key(m.Fields[0])
		if t, done := undecided(ok, unknown); done {
			return t
		}
		return truth(m.containsOne(key) != m.Negate)
	}
	keys, ok, unknown := w.keys(m.Fields)
	if t, done := undecided(ok, unknown); done {
		return t
	}
	return truth(m.contains(keys) != m.Negate)
}

// undecided settles a match before any lookup: Unknown for an unknown
// key, False for a field the packet lacks (it never matches, negated or
// not: iptables and nft both require the protocol before a port match).
func undecided(ok, unknown bool) (Tri, bool) {
	switch {
	case unknown:
		return Unknown, true
	case !ok:
		return False, true
	}
	return 0, false
}

func truth(b bool) Tri {
	if b {
		return True
	}
	return False
}

// keys returns the packet's keys for fields; ok is false when a field does
// not apply to this packet, unknown when a value cannot be known.
func (w *walker) keys(fields []Field) (keys [][]byte, ok, unknown bool) {
	keys = make([][]byte, len(fields))
	ok = true
	for i, f := range fields {
		k, fok, funk := w.key(f)
		keys[i], ok, unknown = k, ok && fok, unknown || funk
	}
	return keys, ok, unknown
}

// key returns the packet's key for f, computed once per walk until the
// packet changes.
func (w *walker) key(f Field) (key []byte, ok, unknown bool) {
	if f >= numFields {
		return nil, false, true
	}
	c := &w.cache[f]
	if !c.valid {
		c.key, c.ok, c.unknown = w.computeKey(f)
		c.valid = true
	}
	return c.key, c.ok, c.unknown
}

// cachedKey is one field's key in a walk's cache.
type cachedKey struct {
	key                []byte
	ok, unknown, valid bool
}

// changed drops the cached keys after the packet changed.
func (w *walker) changed() { w.cache = [numFields]cachedKey{} }

func (w *walker) computeKey(f Field) (key []byte, ok, unknown bool) {
	p := &w.pkt
	switch f {
	case FieldNfproto:
		if p.Family == FamilyIPv6 {
			return U8(10), true, false
		}
		return U8(2), true, false
	case FieldL4Proto:
		return U8(p.Proto), true, false
	case FieldSaddr:
		return AddrKey(p.Src), true, false
	case FieldDaddr:
		return AddrKey(p.Dst), true, false
	case FieldSport:
		return w.freeKey(freeSport, p.Sport), p.hasPorts(), false
	case FieldDport:
		return U16(p.Dport), p.hasPorts(), false
	case FieldLength:
		return w.freeKey(freeLength, p.Length), true, false
	case FieldCtOrigSaddr:
		return AddrKey(w.orig.src), true, false
	case FieldCtOrigDaddr:
		return AddrKey(w.orig.dst), true, false
	case FieldCtOrigSport:
		return w.freeKey(freeSport, w.orig.sport), w.orig.sport != 0 || p.hasPorts(), false
	case FieldCtOrigDport:
		return U16(w.orig.dport), w.orig.dport != 0 || p.hasPorts(), false
	case FieldIPsec:
		return U8(0), true, false
	case FieldIIF:
		return IfaceKey(p.InIface), true, p.InIface == unknownIface
	case FieldOIF:
		return IfaceKey(w.oif), true, w.oif == unknownIface
	case FieldCtState:
		return U8(uint8(p.ctState() | w.ctExtra)), true, false
	case FieldICMPType:
		return U8(p.ICMPType), p.isICMP(), false
	case FieldICMPCode:
		return U8(p.ICMPCode), p.isICMP(), false
	case FieldMark:
		return U32(p.Mark), true, false
	case FieldCtMark:
		return U32(w.ctmark), true, false
	case FieldSType:
		return U8(uint8(w.env.addrType(p.Src))), true, false
	case FieldDType:
		return U8(uint8(w.env.addrType(p.Dst))), true, false
	case FieldPktType:
		return U8(pktType(w.env.addrType(p.Dst))), true, false
	case FieldRPFilter, FieldRPFilterLoose:
		return w.reversePath(f == FieldRPFilterLoose)
	case FieldExtHdr:
		return U8(0), true, false
	case FieldHopLimit:
		return U8(p.hopLimit()), true, false
	case FieldTCPFlags:
		return U8(p.tcpFlags()), p.Proto == ProtoTCP, false
	}
	return nil, false, true
}

// reversePath is the key of a reverse-path check: whether the route back
// to the source leaves through the incoming interface (or, loose, exists
// at all). Without the host's routes it cannot be known.
func (w *walker) reversePath(loose bool) (key []byte, ok, unknown bool) {
	pass, known := w.env.reversePath(w.pkt.Src, w.pkt.InIface, loose)
	if !known {
		return nil, true, true
	}
	if pass {
		return U8(1), true, false
	}
	return U8(0), true, false
}
