package rules

import "fmt"

// Field is a property of a packet (or of its connection) that a match
// reads. Every field has a fixed-size big-endian key; values are intervals
// over those keys, which lets one representation serve iptables matches and
// nftables sets, maps and concatenations alike.
type Field uint8

// Fields, with their key sizes.
const (
	fieldNone     Field = iota
	FieldNfproto        // 1 byte: 2 ipv4, 10 ipv6
	FieldL4Proto        // 1 byte: IANA protocol number
	FieldSaddr          // 4 or 16 bytes
	FieldDaddr          // 4 or 16 bytes
	FieldSport          // 2 bytes
	FieldDport          // 2 bytes
	FieldIIF            // IFNAMSIZ (16) bytes, zero padded
	FieldOIF            // IFNAMSIZ (16) bytes, zero padded
	FieldCtState        // 1 byte: one CtState bit, plus CtDNAT/CtSNAT
	FieldICMPType       // 1 byte (ICMP or ICMPv6 by l4proto)
	FieldICMPCode       // 1 byte
	FieldMark           // 4 bytes
	FieldCtMark         // 4 bytes
	FieldSType          // 1 byte, AddrType
	FieldDType          // 1 byte, AddrType
	FieldPktType        // 1 byte: 0 host, 1 broadcast, 2 multicast
	FieldTCPFlags       // 1 byte: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20
	FieldHopLimit       // 1 byte: IPv4 TTL or IPv6 hop limit
	// FieldExtHdr holds which extension headers (IPv6) or fragment
	// flags (IPv4) a packet carries, as ExtHdr bits; a probe carries none,
	// so header matches like ip6tables' -m rt or iptables' -f never hold
	// for it.
	FieldExtHdr // 1 byte
	// FieldRPFilter and FieldRPFilterLoose hold 1 when a reverse-path
	// check passes (iptables -m rpfilter, nft "fib saddr . iif oif
	// exists"), 0 when it fails: strict wants the route back to the
	// source to leave through the incoming interface, loose any route.
	FieldRPFilter      // 1 byte
	FieldRPFilterLoose // 1 byte
	// FieldLength is the IP packet's length, header included (iptables
	// -m length, nft meta length).
	FieldLength // 2 bytes
	// FieldCtOrig* are conntrack's original tuple: for a new connection
	// from outside, the packet's own addresses and ports before any NAT.
	FieldCtOrigSaddr // 4 or 16 bytes
	FieldCtOrigDaddr // 4 or 16 bytes
	FieldCtOrigSport // 2 bytes
	FieldCtOrigDport // 2 bytes
	// FieldIPsec holds 1 for a packet that arrived over IPsec (iptables
	// -m policy --pol ipsec, nft meta secpath); the default probe never
	// does, and a sender with a security association may.
	FieldIPsec // 1 byte
	FieldOpaque
	FieldLimit
	numFields
)

// The undecidable fields: FieldOpaque is a match the evaluator cannot
// decide, its Text says what it is; FieldLimit is a rate limit, just as
// undecidable, but a log rule behind it still fires, only rate-limited.

var fieldNames = [numFields]string{
	FieldNfproto:       "nfproto",
	FieldL4Proto:       "l4proto",
	FieldSaddr:         "saddr",
	FieldDaddr:         "daddr",
	FieldSport:         "sport",
	FieldDport:         "dport",
	FieldIIF:           "iif",
	FieldOIF:           "oif",
	FieldCtState:       "ctstate",
	FieldICMPType:      "icmptype",
	FieldICMPCode:      "icmpcode",
	FieldMark:          "mark",
	FieldCtMark:        "ctmark",
	FieldSType:         "saddrtype",
	FieldDType:         "daddrtype",
	FieldPktType:       "pkttype",
	FieldTCPFlags:      "tcpflags",
	FieldHopLimit:      "hoplimit",
	FieldExtHdr:        "exthdr",
	FieldRPFilter:      "rpfilter",
	FieldRPFilterLoose: "rpfilter-loose",
	FieldLength:        "length",
	FieldCtOrigSaddr:   "ct-original-saddr",
	FieldCtOrigDaddr:   "ct-original-daddr",
	FieldCtOrigSport:   "ct-original-sport",
	FieldCtOrigDport:   "ct-original-dport",
	FieldIPsec:         "ipsec",
	FieldOpaque:        "opaque",
	FieldLimit:         "limit",
}

func (f Field) String() string {
	if f < numFields && fieldNames[f] != "" {
		return fieldNames[f]
	}
	return fmt.Sprintf("field(%d)", uint8(f))
}

// ExtHdr bits of FieldExtHdr.
const (
	ExtRouting  uint8 = 1
	ExtFragment uint8 = 2 // IPv6 fragment header, or an IPv4 non-first fragment
	ExtHopByHop uint8 = 4
	ExtDstOpts  uint8 = 8
)

// IfNameSize is the kernel's IFNAMSIZ: interface name keys are this long.
const IfNameSize = 16

// CtState is a conntrack state bit, as nftables numbers them.
type CtState uint8

// Conntrack states.
const (
	CtInvalid     CtState = 1
	CtEstablished CtState = 2
	CtRelated     CtState = 4
	CtNew         CtState = 8
	CtUntracked   CtState = 64
	// CtDNAT and CtSNAT are not states but conntrack status bits that
	// iptables' conntrack match lists beside them (--ctstate DNAT): the
	// packet's ctstate key carries them next to its state bit, so a list
	// like NEW,DNAT is one masked match: key & mask != 0.
	CtDNAT CtState = 16
	CtSNAT CtState = 32
)

// AddrType is an address's routing type, the kernel's RTN_* value, as
// iptables' addrtype and nftables' fib ... type read it.
type AddrType uint8

// Address types.
const (
	AddrUnspec      AddrType = 0
	AddrUnicast     AddrType = 1
	AddrLocal       AddrType = 2
	AddrBroadcast   AddrType = 3
	AddrAnycast     AddrType = 4
	AddrMulticast   AddrType = 5
	AddrBlackhole   AddrType = 6
	AddrUnreachable AddrType = 7
	AddrProhibit    AddrType = 8
)

// IANA protocol numbers perimeter names.
const (
	ProtoICMP    uint8 = 1
	ProtoTCP     uint8 = 6
	ProtoUDP     uint8 = 17
	ProtoICMPv6  uint8 = 58
	ProtoSCTP    uint8 = 132
	ProtoUDPLite uint8 = 136
)

// TCP flag bits.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPPsh uint8 = 0x08
	TCPAck uint8 = 0x10
	TCPUrg uint8 = 0x20
)
