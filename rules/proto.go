package rules

import (
	"strconv"
	"strings"
	"sync"
)

// IP protocol names. iptables-save and nft print a protocol by the name
// the saving machine's /etc/protocols gives it, so a ruleset may spell
// one by netbase's name (Debian's: "ipencap", "ipv6-icmp"), an older
// netbase's ("ipv6-crypt"), Red Hat's full IANA list ("ipv4", "cbt") or
// iptables' own ("all", "icmpv6", "mh"). perimeter reads every one of
// them, from this table and never from the machine it runs on, and
// prints one: netbase's name where netbase has the protocol, else IANA's
// keyword in lower case, else the number; with one exception, ICMPv6,
// printed "icmpv6" as perimeter always has (iptables and nft read it).

// protoNames lists each protocol's names: the first is the one ProtoName
// prints, all parse. IANA's assigned internet protocol numbers; no name:
// unassigned, "any ..." or reserved.
var protoNames = [256][]string{
	0:   {"hopopt", "ip", "all"},
	1:   {"icmp"},
	2:   {"igmp"},
	3:   {"ggp"},
	4:   {"ipencap", "ip-encap", "ipv4"},
	5:   {"st"},
	6:   {"tcp"},
	7:   {"cbt"},
	8:   {"egp"},
	9:   {"igp"},
	10:  {"bbn-rcc-mon", "bbn-rcc"},
	11:  {"nvp-ii", "nvp"},
	12:  {"pup"},
	13:  {"argus"},
	14:  {"emcon"},
	15:  {"xnet"},
	16:  {"chaos"},
	17:  {"udp"},
	18:  {"mux"},
	19:  {"dcn-meas", "dcn"},
	20:  {"hmp"},
	21:  {"prm"},
	22:  {"xns-idp", "idp"},
	23:  {"trunk-1"},
	24:  {"trunk-2"},
	25:  {"leaf-1"},
	26:  {"leaf-2"},
	27:  {"rdp"},
	28:  {"irtp"},
	29:  {"iso-tp4"},
	30:  {"netblt"},
	31:  {"mfe-nsp"},
	32:  {"merit-inp"},
	33:  {"dccp"},
	34:  {"3pc"},
	35:  {"idpr"},
	36:  {"xtp"},
	37:  {"ddp"},
	38:  {"idpr-cmtp"},
	39:  {"tp++"},
	40:  {"il"},
	41:  {"ipv6"},
	42:  {"sdrp"},
	43:  {"ipv6-route"},
	44:  {"ipv6-frag"},
	45:  {"idrp"},
	46:  {"rsvp"},
	47:  {"gre"},
	48:  {"dsr"},
	49:  {"bna"},
	50:  {"esp", "ipsec-esp", "ipv6-crypt"},
	51:  {"ah", "ipsec-ah", "ipv6-auth"},
	52:  {"i-nlsp"},
	53:  {"swipe"},
	54:  {"narp"},
	55:  {"min-ipv4", "mobile"},
	56:  {"tlsp"},
	57:  {"skip"},
	58:  {"icmpv6", "ipv6-icmp"},
	59:  {"ipv6-nonxt"},
	60:  {"ipv6-opts"},
	62:  {"cftp"},
	64:  {"sat-expak"},
	65:  {"kryptolan"},
	66:  {"rvd"},
	67:  {"ippc"},
	69:  {"sat-mon"},
	70:  {"visa"},
	71:  {"ipcv"},
	72:  {"cpnx"},
	73:  {"rspf", "cphb"},
	74:  {"wsn"},
	75:  {"pvp"},
	76:  {"br-sat-mon"},
	77:  {"sun-nd"},
	78:  {"wb-mon"},
	79:  {"wb-expak"},
	80:  {"iso-ip"},
	81:  {"vmtp"},
	82:  {"secure-vmtp"},
	83:  {"vines"},
	84:  {"ttp", "iptm"},
	85:  {"nsfnet-igp"},
	86:  {"dgp"},
	87:  {"tcf"},
	88:  {"eigrp"},
	89:  {"ospf", "ospfigp"},
	90:  {"sprite-rpc"},
	91:  {"larp"},
	92:  {"mtp"},
	93:  {"ax.25"},
	94:  {"ipip"},
	95:  {"micp"},
	96:  {"scc-sp"},
	97:  {"etherip"},
	98:  {"encap"},
	100: {"gmtp"},
	101: {"ifmp"},
	102: {"pnni"},
	103: {"pim"},
	104: {"aris"},
	105: {"scps"},
	106: {"qnx"},
	107: {"a/n"},
	108: {"ipcomp"},
	109: {"snp"},
	110: {"compaq-peer"},
	111: {"ipx-in-ip"},
	112: {"vrrp"},
	113: {"pgm"},
	115: {"l2tp"},
	116: {"ddx"},
	117: {"iatp"},
	118: {"stp"},
	119: {"srp"},
	120: {"uti"},
	121: {"smp"},
	122: {"sm"},
	123: {"ptp"},
	124: {"isis"},
	125: {"fire"},
	126: {"crtp"},
	127: {"crudp"},
	128: {"sscopmce"},
	129: {"iplt"},
	130: {"sps"},
	131: {"pipe"},
	132: {"sctp"},
	133: {"fc"},
	134: {"rsvp-e2e-ignore"},
	135: {"mobility-header", "mh", "ipv6-mh"},
	136: {"udplite"},
	137: {"mpls-in-ip"},
	138: {"manet"},
	139: {"hip"},
	140: {"shim6"},
	141: {"wesp"},
	142: {"rohc"},
	143: {"ethernet"},
	144: {"aggfrag"},
	145: {"nsh"},
}

var protoByName = sync.OnceValue(func() map[string]uint8 {
	m := map[string]uint8{}
	for p, names := range protoNames {
		for _, n := range names {
			m[n] = uint8(p)
		}
	}
	return m
})

// ProtoName is perimeter's one spelling of an IP protocol: "tcp", "udp",
// "icmp", "icmpv6", "ipencap", "encap"..., or the number when IANA has
// assigned it no name.
func ProtoName(p uint8) string {
	if names := protoNames[p]; len(names) > 0 {
		return names[0]
	}
	return strconv.Itoa(int(p))
}

// ParseProto reads a protocol as iptables and nft take it: any name or
// alias of the table (case ignored, as iptables lower-cases -p), or a
// number, decimal, 0x-hexadecimal or 0-octal as strtoul reads it.
func ParseProto(s string) (uint8, bool) {
	l := strings.ToLower(s)
	if p, ok := protoByName()[l]; ok {
		return p, true
	}
	return parseProtoNumber(l)
}

func parseProtoNumber(s string) (uint8, bool) {
	base, digits := 10, s
	switch {
	case strings.HasPrefix(s, "0x"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	n, err := strconv.ParseUint(digits, base, 8)
	if err != nil {
		return 0, false
	}
	return uint8(n), true
}
