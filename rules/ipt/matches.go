package ipt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/rules"
)

// matchSpecs are the match modules perimeter understands, by the name
// -m gives. Any other module is kept whole as an opaque match; an option
// these do not list is an error, as it is to iptables.
var matchSpecs map[string]*extSpec

func init() {
	ports := map[string]int{"--sport": 1, "--source-port": 1, "--dport": 1, "--destination-port": 1}
	tcp := map[string]int{"--tcp-flags": 2, "--syn": 0, "--tcp-option": 1}
	for k, v := range ports {
		tcp[k] = v
	}
	sctp := map[string]int{"--chunk-types": 2}
	for k, v := range ports {
		sctp[k] = v
	}
	matchSpecs = map[string]*extSpec{
		"tcp":       {opts: tcp, build: buildPorts},
		"udp":       {opts: ports, build: buildPorts},
		"udplite":   {opts: ports, build: buildPorts},
		"sctp":      {opts: sctp, build: buildPorts},
		"multiport": {opts: multiportOpts, build: buildMultiport},
		"conntrack": {opts: conntrackOpts, build: buildConntrack},
		"state":     {opts: map[string]int{"--state": 1}, build: buildConntrack},
		"icmp":      {opts: map[string]int{"--icmp-type": 1}, family: rules.FamilyIPv4, build: buildICMP},
		"icmp6":     {opts: map[string]int{"--icmpv6-type": 1}, family: rules.FamilyIPv6, build: buildICMP},
		"addrtype":  {opts: addrtypeOpts, build: buildAddrtype},
		"iprange":   {opts: map[string]int{"--src-range": 1, "--dst-range": 1}, build: buildIPRange},
		"limit":     {opts: map[string]int{"--limit": 1, "--limit-burst": 1}, build: buildLimit},
		"hashlimit": {opts: hashlimitOpts, build: buildHashlimit},
		"recent":    {opts: recentOpts, build: buildRecent},
		"comment":   {opts: map[string]int{"--comment": 1}, build: func(*ruleLine, *ext) error { return nil }},
		"mac":       {opts: map[string]int{"--mac-source": 1}, build: buildOpaqueOpts},
		"length":    {opts: map[string]int{"--length": 1}, build: buildLength},
		"connlimit": {opts: connlimitOpts, build: buildConnlimit},
		"policy":    {opts: policyOpts, build: buildPolicy},
		"mark":      {opts: map[string]int{"--mark": 1}, build: buildMark},
		"connmark":  {opts: map[string]int{"--mark": 1}, build: buildMark},
		"pkttype":   {opts: map[string]int{"--pkt-type": 1}, build: buildPktType},
		"set":       {opts: setOpts, build: buildSet},
		"hl":        {opts: map[string]int{"--hl-eq": 1, "--hl-lt": 1, "--hl-gt": 1}, family: rules.FamilyIPv6, build: buildHopLimit},
		"ttl":       {opts: map[string]int{"--ttl-eq": 1, "--ttl-lt": 1, "--ttl-gt": 1}, family: rules.FamilyIPv4, build: buildHopLimit},
		"rpfilter":  {opts: map[string]int{"--loose": 0, "--validmark": 0, "--accept-local": 0, "--invert": 0}, build: buildRPFilter},
	}
	for name := range extHdrBits {
		matchSpecs[name] = &extSpec{family: rules.FamilyIPv6, build: buildExtHdr}
	}
	matchSpecs["icmpv6"] = matchSpecs["icmp6"]
}

var multiportOpts = map[string]int{
	"--sports": 1, "--source-ports": 1, "--dports": 1, "--destination-ports": 1, "--ports": 1,
}

var conntrackOpts = map[string]int{
	"--ctstate": 1, "--ctproto": 1, "--ctorigsrc": 1, "--ctorigdst": 1,
	"--ctreplsrc": 1, "--ctrepldst": 1, "--ctorigsrcport": 1, "--ctorigdstport": 1,
	"--ctreplsrcport": 1, "--ctrepldstport": 1, "--ctstatus": 1, "--ctexpire": 1, "--ctdir": 1,
}

var addrtypeOpts = map[string]int{
	"--src-type": 1, "--dst-type": 1, "--limit-iface-in": 0, "--limit-iface-out": 0,
}

var hashlimitOpts = map[string]int{
	"--hashlimit": 1, "--hashlimit-upto": 1, "--hashlimit-above": 1, "--hashlimit-burst": 1,
	"--hashlimit-mode": 1, "--hashlimit-name": 1, "--hashlimit-srcmask": 1, "--hashlimit-dstmask": 1,
	"--hashlimit-htable-size": 1, "--hashlimit-htable-max": 1, "--hashlimit-htable-expire": 1,
	"--hashlimit-htable-gcinterval": 1, "--hashlimit-rate-match": 0, "--hashlimit-rate-interval": 1,
}

var recentOpts = map[string]int{
	"--set": 0, "--rcheck": 0, "--update": 0, "--remove": 0, "--name": 1, "--rsource": 0,
	"--rdest": 0, "--seconds": 1, "--reap": 0, "--hitcount": 1, "--rttl": 0, "--mask": 1,
}

var setOpts = map[string]int{
	"--match-set": 2, "--set": 2, "--return-nomatch": 0, "--update-counters": 0,
	"--update-subcounters": 0, "--packets-eq": 1, "--packets-lt": 1, "--packets-gt": 1,
	"--bytes-eq": 1, "--bytes-lt": 1, "--bytes-gt": 1,
}

// buildOpaqueOpts keeps each option as an undecidable match: a MAC
// address or a packet length is nothing a port prediction can know.
func buildOpaqueOpts(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		r.add(rules.Opaque(o.text))
	}
	return nil
}

// buildPorts handles tcp, udp, udplite and sctp.
func buildPorts(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		switch o.name {
		case "--sport", "--source-port", "--dport", "--destination-port":
			iv, err := parsePortRange(o.args[0])
			if err != nil {
				return err
			}
			f := rules.FieldDport
			if o.name == "--sport" || o.name == "--source-port" {
				f = rules.FieldSport
			}
			r.add(rules.NewMatch(f, o.neg, o.text, iv))
		case "--tcp-flags", "--syn":
			m, err := tcpFlagsMatch(o)
			if err != nil {
				return err
			}
			r.add(m)
		default: // --tcp-option, --chunk-types
			r.add(rules.Opaque(o.text))
		}
	}
	return nil
}

var tcpFlagNames = map[string]uint8{
	"FIN": rules.TCPFin, "SYN": rules.TCPSyn, "RST": rules.TCPRst, "PSH": rules.TCPPsh,
	"ACK": rules.TCPAck, "URG": rules.TCPUrg, "ALL": 0x3f, "NONE": 0,
}

// tcpFlagsMatch is (flags & MASK) == COMP; --syn is SYN,RST,ACK,FIN SYN.
func tcpFlagsMatch(o opt) (rules.Match, error) {
	mask, comp := rules.TCPSyn|rules.TCPRst|rules.TCPAck|rules.TCPFin, rules.TCPSyn
	if o.name == "--tcp-flags" {
		var err error
		if mask, err = tcpFlags(o.args[0]); err != nil {
			return rules.Match{}, err
		}
		if comp, err = tcpFlags(o.args[1]); err != nil {
			return rules.Match{}, err
		}
	}
	m := rules.NewMatch(rules.FieldTCPFlags, o.neg, o.text, rules.Point(rules.U8(comp)))
	m.Mask = rules.U8(mask)
	return m, nil
}

func tcpFlags(list string) (uint8, error) {
	var v uint8
	for _, f := range strings.Split(list, ",") {
		b, ok := tcpFlagNames[strings.ToUpper(f)]
		if !ok {
			return 0, fmt.Errorf("unknown tcp flag %s", quote.Q(f))
		}
		v |= b
	}
	return v, nil
}

// buildMultiport: --ports (source or destination port in the list) is
// no one match of the model. "! --ports" is two negated matches; a plain
// --ports is two alternatives, which the rule splits into two rules when
// its verdict ends the walk (then "A or B → accept" is "A → accept; B →
// accept"), and keeps opaque otherwise (a LOG or jump would run twice).
func buildMultiport(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		ivs, err := parsePortList(o.args[0])
		if err != nil {
			return err
		}
		switch o.name {
		case "--dports", "--destination-ports":
			r.add(rules.NewMatch(rules.FieldDport, o.neg, o.text, ivs...))
		case "--sports", "--source-ports":
			r.add(rules.NewMatch(rules.FieldSport, o.neg, o.text, ivs...))
		default:
			d := rules.NewMatch(rules.FieldDport, o.neg, o.text, ivs...)
			s := rules.NewMatch(rules.FieldSport, o.neg, o.text, ivs...)
			if o.neg {
				r.add(d, s)
			} else {
				r.either([]rules.Match{d}, []rules.Match{s})
			}
		}
	}
	return nil
}

var ctStateNames = map[string]rules.CtState{
	"NEW": rules.CtNew, "ESTABLISHED": rules.CtEstablished, "RELATED": rules.CtRelated,
	"INVALID": rules.CtInvalid, "UNTRACKED": rules.CtUntracked,
	"SNAT": rules.CtSNAT, "DNAT": rules.CtDNAT,
}

// buildConntrack handles conntrack and state: the state list, the
// protocol and the original tuple are the evaluator's to decide; the rest
// stays opaque.
func buildConntrack(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		if o.name != "--ctstate" && o.name != "--state" {
			m, err := ctTupleMatch(r, o)
			if err != nil {
				return err
			}
			r.add(m)
			continue
		}
		var bits rules.CtState
		for _, s := range strings.Split(o.args[0], ",") {
			b, ok := ctStateNames[strings.ToUpper(s)]
			if !ok || o.name == "--state" && b&(rules.CtSNAT|rules.CtDNAT) != 0 {
				return fmt.Errorf("unknown state %s", quote.Q(s))
			}
			bits |= b
		}
		r.add(rules.AnyBit(rules.FieldCtState, o.neg, o.text, uint8(bits)))
	}
	return nil
}

// ctTupleFields are the conntrack options that read the original tuple,
// which for a new connection from outside is the packet's own before any
// NAT. The reply tuple and the status flags stay opaque.
var ctTupleFields = map[string]rules.Field{
	"--ctorigsrc": rules.FieldCtOrigSaddr, "--ctorigdst": rules.FieldCtOrigDaddr,
	"--ctorigsrcport": rules.FieldCtOrigSport, "--ctorigdstport": rules.FieldCtOrigDport,
}

func ctTupleMatch(r *ruleLine, o opt) (rules.Match, error) {
	if o.name == "--ctproto" {
		p, ok := rules.ParseProto(o.args[0])
		if !ok {
			return rules.Match{}, fmt.Errorf("unknown protocol %s", quote.Q(o.args[0]))
		}
		return rules.NewMatch(rules.FieldL4Proto, o.neg, o.text, rules.Point(rules.U8(p))), nil
	}
	f, ok := ctTupleFields[o.name]
	if !ok {
		return rules.Opaque(o.text), nil
	}
	if f == rules.FieldCtOrigSport || f == rules.FieldCtOrigDport {
		iv, err := parsePortRange(o.args[0])
		return rules.NewMatch(f, o.neg, o.text, iv), err
	}
	return addrMatch(f, o.neg, o.text, o.args[0], r.fam)
}

func buildICMP(r *ruleLine, e *ext) error {
	names := icmpNames
	if r.fam == rules.FamilyIPv6 {
		names = icmp6Names
	}
	for _, o := range e.opts {
		ms, err := icmpMatches(o.neg, o.text, o.args[0], names)
		if err != nil {
			return err
		}
		r.add(ms...)
	}
	return nil
}

var addrTypeNames = map[string]rules.AddrType{
	"UNSPEC": rules.AddrUnspec, "UNICAST": rules.AddrUnicast, "LOCAL": rules.AddrLocal,
	"BROADCAST": rules.AddrBroadcast, "ANYCAST": rules.AddrAnycast,
	"MULTICAST": rules.AddrMulticast, "BLACKHOLE": rules.AddrBlackhole,
	"UNREACHABLE": rules.AddrUnreachable, "PROHIBIT": rules.AddrProhibit,
	"THROW": 9, "NAT": 10, "XRESOLVE": 11, // RTN_THROW, RTN_NAT, RTN_XRESOLVE
}

// buildAddrtype: with --limit-iface-in/out the types count only on one
// interface, which the evaluator cannot know, so the whole match is kept
// opaque.
func buildAddrtype(r *ruleLine, e *ext) error {
	var ms []rules.Match
	for _, o := range e.opts {
		if strings.HasPrefix(o.name, "--limit-iface") {
			r.add(rules.Opaque(e.text()))
			return nil
		}
		var ivs []rules.Interval
		for _, s := range strings.Split(o.args[0], ",") {
			t, ok := addrTypeNames[strings.ToUpper(s)]
			if !ok {
				return fmt.Errorf("unknown address type %s", quote.Q(s))
			}
			ivs = append(ivs, rules.Point(rules.U8(uint8(t))))
		}
		f := rules.FieldDType
		if o.name == "--src-type" {
			f = rules.FieldSType
		}
		ms = append(ms, rules.NewMatch(f, o.neg, o.text, ivs...))
	}
	r.add(ms...)
	return nil
}

func buildIPRange(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		lo, hi, ok := strings.Cut(o.args[0], "-")
		if !ok {
			hi = lo
		}
		a, err := parseAddr(lo, r.fam)
		if err != nil {
			return err
		}
		b, err := parseAddr(hi, r.fam)
		if err != nil {
			return err
		}
		f := rules.FieldDaddr
		if o.name == "--src-range" {
			f = rules.FieldSaddr
		}
		var ivs []rules.Interval
		if a.Compare(b) <= 0 {
			ivs = append(ivs, rules.AddrRange(a, b)) // lo > hi: the kernel matches nothing
		}
		r.add(rules.NewMatch(f, o.neg, o.text, ivs...))
	}
	return nil
}

// buildLimit: "limit: avg 3/min burst 10" (iptables' defaults: 3/hour,
// burst 5).
func buildLimit(r *ruleLine, e *ext) error {
	rate, perSec, burst := "3/hour", 3.0/3600, "5"
	for _, o := range e.opts {
		if o.name == "--limit-burst" {
			if !isNumber(o.args[0]) {
				return fmt.Errorf("bad burst %s", quote.Q(o.args[0]))
			}
			burst = o.args[0]
			continue
		}
		var err error
		if rate, perSec, err = parseRate(o.args[0]); err != nil {
			return err
		}
	}
	n, _ := strconv.ParseUint(burst, 10, 32)
	r.add(rules.Limit("limit: avg "+rate+" burst "+burst, rules.Rate{PerSecond: perSec, Burst: uint32(n)}, false))
	return nil
}

// rateUnits are the units a rate may name (by any prefix, case
// ignored; none is per second), as iptables-save prints them.
var rateUnits = []struct {
	name, short string
	secs        float64
}{{"second", "sec", 1}, {"minute", "min", 60}, {"hour", "hour", 3600}, {"day", "day", 86400}}

// parseRate reads N[/second|/minute|/hour|/day], printed as
// iptables-save does and as packets a second.
func parseRate(s string) (text string, perSecond float64, err error) {
	n, unit, _ := strings.Cut(s, "/")
	if isNumber(n) {
		for _, u := range rateUnits {
			if strings.HasPrefix(u.name, strings.ToLower(unit)) {
				v, _ := strconv.ParseFloat(n, 64)
				return n + "/" + u.short, v / u.secs, nil
			}
		}
	}
	return "", 0, fmt.Errorf("bad rate %s", quote.Q(s))
}

// buildHashlimit: --hashlimit-upto holds while packets come no faster
// than the rate, --hashlimit-above only while they come faster; per
// source (or destination, or flow) by --hashlimit-mode.
func buildHashlimit(r *ruleLine, e *ext) error {
	parts := []string{"hashlimit:"}
	rate, over := rules.Rate{Burst: 5}, false
	for _, o := range e.opts {
		switch o.name {
		case "--hashlimit", "--hashlimit-upto":
			parts, rate.PerSecond = append(parts, "upto "+o.args[0]), perSecond(o.args[0])
		case "--hashlimit-above":
			parts, rate.PerSecond, over = append(parts, "above "+o.args[0]), perSecond(o.args[0]), true
		case "--hashlimit-burst", "--hashlimit-mode", "--hashlimit-name":
			parts = append(parts, strings.TrimPrefix(o.name, "--hashlimit-")+" "+o.args[0])
		}
		if o.name == "--hashlimit-burst" {
			n, _ := strconv.ParseUint(o.args[0], 10, 32)
			rate.Burst = uint32(n)
		}
	}
	r.add(rules.Limit(strings.Join(parts, " "), rate, over))
	return nil
}

// perSecond reads a packet rate, "3/min", "25/sec" or "10/s", into
// packets a second; 0 for anything else (a byte rate).
func perSecond(s string) float64 {
	_, v, _ := parseRate(s)
	return v
}

var connlimitOpts = map[string]int{
	"--connlimit-upto": 1, "--connlimit-above": 1, "--connlimit-mask": 1, "--connlimit-saddr": 0, "--connlimit-daddr": 0,
}

// buildConnlimit: --connlimit-above N holds once the source has more than
// N connections open, --connlimit-upto N while it has at most N: how many
// it opens is the sender's choice, one at a time by default.
func buildConnlimit(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		if o.name != "--connlimit-above" && o.name != "--connlimit-upto" {
			continue
		}
		n, err := strconv.ParseUint(o.args[0], 10, 32)
		if err != nil {
			return fmt.Errorf("bad connection count %s", quote.Q(o.args[0]))
		}
		above := o.name == "--connlimit-above" != o.neg
		r.add(rules.Chosen(e.text(), !above, fmt.Sprintf("with more than %d connections open", n)))
		return nil
	}
	return fmt.Errorf("one of --connlimit-upto, --connlimit-above needed")
}

var policyOpts = map[string]int{
	"--dir": 1, "--pol": 1, "--strict": 0, "--reqid": 1, "--spi": 1, "--proto": 1, "--mode": 1,
	"--tunnel-src": 1, "--tunnel-dst": 1, "--next": 0,
}

// buildPolicy: -m policy --pol ipsec holds for a packet that came (--dir
// in) or leaves (--dir out) under an IPsec policy, --pol none for one
// that did not. The default probe is plain; a sender with a security
// association may use IPsec.
func buildPolicy(r *ruleLine, e *ext) error {
	pol := ""
	for _, o := range e.opts {
		if o.name == "--pol" {
			pol = strings.ToLower(o.args[0])
		}
	}
	if pol != "ipsec" && pol != "none" {
		return fmt.Errorf("--pol %s: want ipsec or none", quote.Q(pol))
	}
	r.add(rules.NewMatch(rules.FieldIPsec, pol == "none", e.text(), rules.Point(rules.U8(1))))
	return nil
}

// buildLength: --length N or N:M, the IP packet's length.
func buildLength(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		iv, err := parsePortRange(o.args[0])
		if err != nil {
			return fmt.Errorf("bad length %s", quote.Q(o.args[0]))
		}
		r.add(rules.NewMatch(rules.FieldLength, o.neg, o.text, iv))
	}
	return nil
}

// buildRecent: --set always matches and puts the source on the list;
// --rcheck, --update and --remove test the list, which the evaluator
// follows for one packet's walk (first contact: only a --set on the
// same walk can have put the source there). A --set runs as a statement
// after the rule's matches, where the kernel runs it while matching: the
// same unless a match after it fails.
func buildRecent(r *ruleLine, e *ext) error {
	name, hits, secs := "DEFAULT", 0, 0
	var check *opt
	set := false
	for i, o := range e.opts {
		switch o.name {
		case "--name":
			name = o.args[0]
		case "--hitcount":
			n, err := strconv.Atoi(o.args[0])
			if err != nil || n < 0 {
				return fmt.Errorf("bad hit count %s", quote.Q(o.args[0]))
			}
			hits = n
		case "--seconds":
			n, err := strconv.Atoi(o.args[0])
			if err != nil || n < 0 {
				return fmt.Errorf("bad seconds %s", quote.Q(o.args[0]))
			}
			secs = n
		case "--rcheck", "--update", "--remove":
			check = &e.opts[i]
		case "--set":
			set = !o.neg
			if o.neg { // never matches, and records nothing
				check = &e.opts[i]
			}
		}
	}
	switch {
	case check != nil && check.name == "--set":
		r.add(rules.Opaque(e.text()))
	case check != nil:
		r.add(rules.Match{Negate: check.neg, Text: e.text(), Recent: &rules.Recent{Name: name, HitCount: hits, Seconds: secs}})
	case set:
		r.stmt(rules.Statement{Kind: rules.StmtRecentSet, Set: name, Text: e.text()})
	default:
		return fmt.Errorf("one of --set, --rcheck, --update, --remove needed")
	}
	return nil
}

// buildHopLimit handles hl (IPv6) and ttl (IPv4): --hl-eq/-lt/-gt.
func buildHopLimit(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		n, err := strconv.ParseUint(o.args[0], 10, 8)
		if err != nil {
			return fmt.Errorf("bad value %s", quote.Q(o.args[0]))
		}
		v := uint8(n)
		var ivs []rules.Interval
		switch o.name[len(o.name)-2:] {
		case "eq":
			ivs = append(ivs, rules.Point(rules.U8(v)))
		case "lt":
			if v > 0 {
				ivs = append(ivs, rules.Interval{Lo: rules.U8(0), Hi: rules.U8(v - 1)})
			}
		default:
			if v < 255 {
				ivs = append(ivs, rules.Interval{Lo: rules.U8(v + 1), Hi: rules.U8(255)})
			}
		}
		r.add(rules.NewMatch(rules.FieldHopLimit, o.neg, o.text, ivs...))
	}
	return nil
}

// buildRPFilter: -m rpfilter holds when the route back to the source
// leaves through the incoming interface (any route with --loose); --invert
// turns it round. --validmark and --accept-local are taken as they read
// for a packet from outside: no policy routing by mark, a source that is
// not the host's own.
func buildRPFilter(r *ruleLine, e *ext) error {
	f, neg := rules.FieldRPFilter, false
	for _, o := range e.opts {
		switch o.name {
		case "--loose":
			f = rules.FieldRPFilterLoose
		case "--invert":
			neg = !neg
		}
	}
	r.add(rules.NewMatch(f, neg, e.text(), rules.Point(rules.U8(1))))
	return nil
}

// extHdrBits are the IPv6 extension header matches: each needs its
// header (which a probe never carries); what they test inside it stays
// undecided.
var extHdrBits = map[string]uint8{
	"rt": rules.ExtRouting, "frag": rules.ExtFragment, "hbh": rules.ExtHopByHop, "dst": rules.ExtDstOpts,
}

func buildExtHdr(r *ruleLine, e *ext) error {
	r.add(rules.AnyBit(rules.FieldExtHdr, false, e.pieces[0], extHdrBits[strings.ToLower(e.name)]))
	if len(e.opts) > 0 {
		r.add(rules.Opaque(e.text()))
	}
	return nil
}

// buildMark handles mark and connmark: (mark & MASK) == VALUE.
func buildMark(r *ruleLine, e *ext) error {
	f := rules.FieldMark
	if strings.EqualFold(e.name, "connmark") {
		f = rules.FieldCtMark
	}
	for _, o := range e.opts {
		v, m, hasMask, err := parseMark(o.args[0])
		if err != nil {
			return err
		}
		mm := rules.NewMatch(f, o.neg, o.text, rules.Point(rules.U32(v)))
		if hasMask && m != 0xffffffff {
			mm.Mask = rules.U32(m)
		}
		r.add(mm)
	}
	return nil
}

// pktTypes are the kernel's PACKET_* values pkttype compares.
var pktTypes = map[string]uint8{
	"unicast": 0, "host": 0, "broadcast": 1, "multicast": 2,
	"otherhost": 3, "outgoing": 4, "loopback": 5, "fastroute": 6,
}

func buildPktType(r *ruleLine, e *ext) error {
	for _, o := range e.opts {
		t, ok := pktTypes[strings.ToLower(o.args[0])]
		if !ok {
			return fmt.Errorf("unknown packet type %s", quote.Q(o.args[0]))
		}
		r.add(rules.NewMatch(rules.FieldPktType, o.neg, o.text, rules.Point(rules.U8(t))))
	}
	return nil
}
