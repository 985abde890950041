package ipt

import (
	"slices"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

type ruleCase struct {
	name  string
	fam   rules.Family // "" for IPv4
	table string       // "" for filter
	line  string
	want  []string // describeRule of each resulting rule
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fam, table := c.fam, c.table
			if fam == "" {
				fam = rules.FamilyIPv4
			}
			if table == "" {
				table = "filter"
			}
			rs, err := parseLines(t, fam, table, c.line)
			if err != nil {
				t.Fatal(err)
			}
			chain := c.line[3:]
			chain = chain[:len(chain)-len(chain[indexSpace(chain):])]
			got := chainRules(rs, chain)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s\n got %q\nwant %q", c.line, got, c.want)
			}
		})
	}
}

func indexSpace(s string) int {
	for i := range s {
		if s[i] == ' ' {
			return i
		}
	}
	return len(s)
}

func TestTopLevelMatches(t *testing.T) {
	v6 := rules.FamilyIPv6
	runRuleCases(t, []ruleCase{
		{"proto", "", "", "-A INPUT -p tcp -j ACCEPT", []string{"l4proto 6 => accept"}},
		{"proto number", "", "", "-A INPUT -p 47 -j ACCEPT", []string{"l4proto 47 => accept"}},
		{"proto names", "", "", "-A INPUT -p ESP", []string{"l4proto 50 => continue"}},
		{"proto negated", "", "", "-A INPUT ! -p udp -j DROP", []string{"!l4proto 17 => drop"}},
		{"proto all", "", "", "-A INPUT -p all -j DROP", []string{" => drop"}},
		{"proto 0", "", "", "-A INPUT -p 0 -j DROP", []string{" => drop"}},
		{"proto not all", "", "", "-A INPUT ! -p all -j DROP", []string{"!l4proto 0-255 => drop"}},
		{"icmpv6 names", v6, "", "-A INPUT -p icmpv6 -j ACCEPT", []string{"l4proto 58 => accept"}},
		{"ipv6-icmp", v6, "", "-A INPUT -p ipv6-icmp -j ACCEPT", []string{"l4proto 58 => accept"}},
		// iptables-save prints the saving machine's /etc/protocols names.
		{"proto encap", "", "", "-A INPUT -p encap -j DROP", []string{"l4proto 98 => drop"}},
		{"proto ipencap", "", "", "-A INPUT -p ipencap -j DROP", []string{"l4proto 4 => drop"}},
		{"proto ipip", "", "", "-A INPUT -p ipip -j DROP", []string{"l4proto 94 => drop"}},
		{"proto old netbase", v6, "", "-A INPUT -p ipv6-crypt -j DROP", []string{"l4proto 50 => drop"}},
		{"proto red hat", "", "", "-A INPUT -p IPv4 -j DROP", []string{"l4proto 4 => drop"}},
		{"proto mh", v6, "", "-A INPUT -p mh -j DROP", []string{"l4proto 135 => drop"}},
		{"proto hex", "", "", "-A INPUT -p 0x2f -j DROP", []string{"l4proto 47 => drop"}},
		{"source prefix", "", "", "-A INPUT -s 198.18.0.0/15 -j ACCEPT", []string{"saddr 198.18.0.0-198.19.255.255 => accept"}},
		{"source bare", "", "", "-A INPUT -s 198.18.0.1 -j ACCEPT", []string{"saddr 198.18.0.1 => accept"}},
		{"source dotted mask", "", "", "-A INPUT -s 198.18.0.0/255.255.255.0 -j ACCEPT", []string{"saddr 198.18.0.0-198.18.0.255 => accept"}},
		{"source odd mask", "", "", "-A INPUT -d 10.0.0.0/255.0.255.0 -j ACCEPT", []string{"daddr&0xff00ff00 10.0.0.0 => accept"}},
		{"source list", "", "", "-A INPUT -s 198.18.0.0/24,198.18.1.0/24,198.18.9.9 -j DROP", []string{"saddr 198.18.0.0-198.18.1.255|198.18.9.9 => drop"}},
		{"source short", "", "", "-A INPUT -s 10/8 -j DROP", []string{"saddr 10.0.0.0-10.255.255.255 => drop"}},
		{"dest negated", "", "", "-A INPUT ! -d 198.18.0.0/16 -j DROP", []string{"!daddr 198.18.0.0-198.18.255.255 => drop"}},
		{"dest old negation", "", "", "-A INPUT -d ! 198.18.0.0/16 -j DROP", []string{"!daddr 198.18.0.0-198.18.255.255 => drop"}},
		{"long options", "", "", "-A INPUT --source 198.18.0.1 --destination 198.18.0.2 --protocol udp --in-interface eth0 --jump ACCEPT",
			[]string{"saddr 198.18.0.1 ; daddr 198.18.0.2 ; l4proto 17 ; iif eth0 => accept"}},
		{"v6 prefix", v6, "", "-A INPUT -s 2001:db8::/32 -d 2001:db8::1/128 -j ACCEPT",
			[]string{"saddr 2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff ; daddr 2001:db8::1 => accept"}},
		{"in iface", "", "", "-A INPUT -i eth0 -j ACCEPT", []string{"iif eth0 => accept"}},
		{"in iface wildcard", "", "", "-A INPUT -i veth+ -j ACCEPT", []string{"iif veth+ => accept"}},
		{"iface any", "", "", "-A INPUT -i + -j ACCEPT", []string{" => accept"}},
		{"iface none", "", "", "-A INPUT ! -i + -j ACCEPT", []string{"!iif + => accept"}},
		{"out iface negated", "", "", "-A FORWARD ! -o docker0 -j ACCEPT", []string{"!oif docker0 => accept"}},
		{"fragment", "", "", "-A INPUT -f -j DROP", []string{"exthdr&0x02 1-255 => drop"}},
		{"not fragment", "", "", "-A INPUT ! -f -j DROP", []string{"!exthdr&0x02 1-255 => drop"}},
		{"counters -c", "", "", "-A INPUT -p tcp -c 10 20 -j DROP", []string{"l4proto 6 => drop"}},
		{"ipv6-only rule in iptables", "", "", "-A INPUT -6 -p tcp -j DROP", nil},
		{"ipv4-only rule in iptables", "", "", "-A INPUT -4 -p tcp -j DROP", []string{"l4proto 6 => drop"}},
		{"no target", "", "", "-A INPUT -p tcp", []string{"l4proto 6 => continue"}},
		{"target before match", "", "", "-A INPUT -j RETURN -m limit --limit 3/min --limit-burst 10",
			[]string{"limit{limit: avg 3/min burst 10} => return"}},
	})
}

func TestModuleMatches(t *testing.T) {
	v6 := rules.FamilyIPv6
	runRuleCases(t, []ruleCase{
		{"dport", "", "", "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", []string{"l4proto 6 ; dport 22 => accept"}},
		{"dport negated", "", "", "-A INPUT -p tcp -m tcp ! --dport 22 -j ACCEPT", []string{"l4proto 6 ; !dport 22 => accept"}},
		{"dport old negation", "", "", "-A INPUT -p tcp -m tcp --dport ! 22 -j ACCEPT", []string{"l4proto 6 ; !dport 22 => accept"}},
		{"dport range", "", "", "-A INPUT -p udp -m udp --dport 1000:2000 -j ACCEPT", []string{"l4proto 17 ; dport 1000-2000 => accept"}},
		{"dport open low", "", "", "-A INPUT -p udp -m udp --dport :1023 -j ACCEPT", []string{"l4proto 17 ; dport 0-1023 => accept"}},
		{"dport open high", "", "", "-A INPUT -p udp -m udp --dport 1024: -j ACCEPT", []string{"l4proto 17 ; dport 1024-65535 => accept"}},
		{"sport long", "", "", "-A INPUT -p tcp -m tcp --source-port 53 --destination-port 1024:65535 -j ACCEPT",
			[]string{"l4proto 6 ; sport 53 ; dport 1024-65535 => accept"}},
		{"service name", "", "", "-A INPUT -p tcp -m tcp --dport ssh -j ACCEPT", []string{"l4proto 6 ; dport 22 => accept"}},
		{"implicit tcp", "", "", "-A INPUT -p tcp --dport 80 -j ACCEPT", []string{"l4proto 6 ; dport 80 => accept"}},
		{"sctp", "", "", "-A INPUT -p sctp -m sctp --dport 3868 -j ACCEPT", []string{"l4proto 132 ; dport 3868 => accept"}},
		{"sctp chunks", "", "", "-A INPUT -p sctp -m sctp --chunk-types any INIT -j DROP", []string{"l4proto 132 ; opaque{--chunk-types any INIT} => drop"}},
		{"udplite", "", "", "-A INPUT -p udplite -m udplite --dport 5000 -j ACCEPT", []string{"l4proto 136 ; dport 5000 => accept"}},
		{"syn", "", "", "-A INPUT -p tcp -m tcp --syn -j ACCEPT", []string{"l4proto 6 ; tcpflags&0x17 2 => accept"}},
		{"not syn", "", "", "-A INPUT -p tcp -m tcp ! --syn -m conntrack --ctstate NEW -j DROP",
			[]string{"l4proto 6 ; !tcpflags&0x17 2 ; ctstate&0x08 1-255 => drop"}},
		{"tcp flags", "", "", "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j DROP", []string{"l4proto 6 ; tcpflags&0x3f 0 => drop"}},
		{"tcp flags all", "", "", "-A INPUT -p tcp -m tcp --tcp-flags ALL FIN,PSH,URG -j DROP", []string{"l4proto 6 ; tcpflags&0x3f 41 => drop"}},
		{"tcp option", "", "", "-A INPUT -p tcp -m tcp --tcp-option 8 -j DROP", []string{"l4proto 6 ; opaque{--tcp-option 8} => drop"}},
		{"multiport dports", "", "", "-A INPUT -p tcp -m multiport --dports 22,80,443,8000:8080 -j ACCEPT",
			[]string{"l4proto 6 ; dport 22|80|443|8000-8080 => accept"}},
		{"multiport sports negated", "", "", "-A INPUT -p udp -m multiport ! --sports 53,123 -j DROP", []string{"l4proto 17 ; !sport 53|123 => drop"}},
		{"multiport long", "", "", "-A INPUT -p udp -m multiport --destination-ports 1,2 --source-ports 3 -j DROP",
			[]string{"l4proto 17 ; dport 1-2 ; sport 3 => drop"}},
		{"multiport ports split", "", "", "-A INPUT -p tcp -m multiport --ports 25,587 -j ACCEPT",
			[]string{"l4proto 6 ; dport 25|587 => accept", "l4proto 6 ; sport 25|587 => accept"}},
		{"multiport ports not split", "", "", "-A INPUT -p tcp -m multiport --ports 25,587 -j LOG",
			[]string{`l4proto 6 ; opaque{--ports 25,587} ; log{LOG prefix="" level=warning group=0} => continue`}},
		{"multiport ports jump", "", "", "-A INPUT -p tcp -m multiport --ports 25 -j chain",
			[]string{"l4proto 6 ; opaque{--ports 25} => jump chain"}},
		{"multiport ports negated", "", "", "-A INPUT -p tcp -m multiport ! --ports 25 -j DROP",
			[]string{"l4proto 6 ; !dport 25 ; !sport 25 => drop"}},
		{"ctstate", "", "", "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", []string{"ctstate&0x06 1-255 => accept"}},
		{"ctstate all", "", "", "-A INPUT -m conntrack --ctstate NEW,INVALID,UNTRACKED,SNAT,DNAT -j ACCEPT", []string{"ctstate&0x79 1-255 => accept"}},
		{"ctstate negated", "", "", "-A INPUT -m conntrack ! --ctstate NEW -j ACCEPT", []string{"!ctstate&0x08 1-255 => accept"}},
		{"state", "", "", "-A INPUT -m state --state NEW,ESTABLISHED -j ACCEPT", []string{"ctstate&0x0a 1-255 => accept"}},
		{"ctstatus opaque, original tuple read", "", "", "-A INPUT -m conntrack --ctstatus DNAT --ctorigdst 198.18.0.1 -j ACCEPT",
			[]string{"opaque{--ctstatus DNAT} ; ct-original-daddr 0xc6120001 => accept"}},
		{"ct protocol and original ports", "", "", "-A INPUT -m conntrack --ctproto udp --ctorigsrcport 53 --ctorigdstport 1000:2000 -j ACCEPT",
			[]string{"l4proto 17 ; ct-original-sport 53 ; ct-original-dport 1000-2000 => accept"}},
		{"icmp type", "", "", "-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT", []string{"l4proto 1 ; icmptype 8 => accept"}},
		{"icmp name", "", "", "-A INPUT -p icmp -m icmp --icmp-type echo-request -j ACCEPT", []string{"l4proto 1 ; icmptype 8 => accept"}},
		{"icmp name with code", "", "", "-A INPUT -p icmp -m icmp --icmp-type port-unreachable -j ACCEPT",
			[]string{"l4proto 1 ; icmptype 3 ; icmpcode 3 => accept"}},
		{"icmp type/code", "", "", "-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT", []string{"l4proto 1 ; icmptype 3 ; icmpcode 4 => accept"}},
		{"icmp any", "", "", "-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT", []string{"l4proto 1 ; icmptype 0-255 => accept"}},
		{"icmp negated code", "", "", "-A INPUT -p icmp -m icmp ! --icmp-type 3/4 -j DROP", []string{"l4proto 1 ; !icmptype.icmpcode 3 . 4 => drop"}},
		{"icmp negated", "", "", "-A INPUT -p icmp -m icmp ! --icmp-type 0 -j DROP", []string{"l4proto 1 ; !icmptype 0 => drop"}},
		{"icmp implicit", "", "", "-A INPUT -p icmp --icmp-type echo-reply -j ACCEPT", []string{"l4proto 1 ; icmptype 0 => accept"}},
		{"icmp6 type", v6, "", "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT", []string{"l4proto 58 ; icmptype 135 => accept"}},
		{"icmp6 name", v6, "", "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT", []string{"l4proto 58 ; icmptype 135 => accept"}},
		{"icmp6 name code", v6, "", "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type port-unreachable -j ACCEPT",
			[]string{"l4proto 58 ; icmptype 1 ; icmpcode 4 => accept"}},
		{"icmp6 implicit", v6, "", "-A INPUT -p icmpv6 --icmpv6-type echo-request -j ACCEPT", []string{"l4proto 58 ; icmptype 128 => accept"}},
		{"addrtype dst", "", "", "-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT", []string{"daddrtype 2 => accept"}},
		{"addrtype list negated", "", "", "-A INPUT -m addrtype ! --src-type BROADCAST,MULTICAST,ANYCAST -j ACCEPT",
			[]string{"!saddrtype 3-5 => accept"}},
		{"addrtype both", "", "", "-A INPUT -m addrtype --src-type UNICAST --dst-type LOCAL -j ACCEPT", []string{"saddrtype 1 ; daddrtype 2 => accept"}},
		{"addrtype limit iface", "", "", "-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT",
			[]string{"opaque{-m addrtype --dst-type LOCAL --limit-iface-in} => accept"}},
		{"iprange", "", "", "-A INPUT -m iprange --src-range 198.18.0.10-198.18.0.20 -j ACCEPT", []string{"saddr 198.18.0.10-198.18.0.20 => accept"}},
		{"iprange dst negated", "", "", "-A INPUT -m iprange ! --dst-range 198.18.0.10-198.18.0.20 -j ACCEPT",
			[]string{"!daddr 198.18.0.10-198.18.0.20 => accept"}},
		{"iprange v6", v6, "", "-A INPUT -m iprange --src-range 2001:db8::1-2001:db8::ff -j ACCEPT", []string{"saddr 2001:db8::1-2001:db8::ff => accept"}},
		{"limit", "", "", "-A INPUT -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix \"x \"",
			[]string{`limit{limit: avg 3/min burst 10} ; log{LOG prefix="x " level=warning group=0} => continue`}},
		{"limit defaults", "", "", "-A INPUT -m limit -j ACCEPT", []string{"limit{limit: avg 3/hour burst 5} => accept"}},
		{"limit long unit", "", "", "-A INPUT -m limit --limit 2/second -j ACCEPT", []string{"limit{limit: avg 2/sec burst 5} => accept"}},
		{"hashlimit", "", "", "-A INPUT -p tcp -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 20 --hashlimit-mode srcip --hashlimit-name ssh --hashlimit-htable-expire 60000 -j ACCEPT",
			[]string{"l4proto 6 ; limit{hashlimit: upto 10/sec burst 20 mode srcip name ssh} => accept"}},
		{"hashlimit above", "", "", "-A INPUT -m hashlimit --hashlimit-above 5/min --hashlimit-name x -j DROP",
			[]string{"limit{hashlimit: above 5/min name x} => drop"}},
		{"recent set", "", "", "-A INPUT -p tcp -m recent --set --name ssh --rsource",
			[]string{"l4proto 6 ; recentset{ssh} => continue"}},
		{"recent set default name", "", "", "-A INPUT -p tcp -m recent --set",
			[]string{"l4proto 6 ; recentset{DEFAULT} => continue"}},
		{"recent update", "", "", "-A INPUT -m recent --update --seconds 60 --hitcount 4 --name ssh --rsource -j DROP",
			[]string{"recent{ssh >= 4} => drop"}},
		{"recent rcheck negated", "", "", "-A INPUT -m recent ! --rcheck --name x -j DROP", []string{"!recent{x >= 0} => drop"}},
		{"recent remove", "", "", "-A INPUT -m recent --remove -j DROP", []string{"recent{DEFAULT >= 0} => drop"}},
		{"recent not set", "", "", "-A INPUT -m recent ! --set -j DROP", []string{"opaque{-m recent ! --set} => drop"}},
		{"comment", "", "", "-A INPUT -p tcp -m comment --comment \"allow \\\"web\\\"\" -j ACCEPT", []string{"l4proto 6 => accept"}},
		{"comment bang", "", "", `-A INPUT -m comment --comment "!" -j ACCEPT`, []string{" => accept"}},
		{"unknown module quoted dash", "", "", `-A INPUT -m string --string "-x" --algo bm -j DROP`,
			[]string{`opaque{-m string --string "-x" --algo bm} => drop`}},
		{"log prefix bang", "", "", `-A INPUT -j LOG --log-prefix "!"`, []string{`log{LOG prefix="!" level=warning group=0} => continue`}},
		{"mac", "", "", "-A INPUT -m mac --mac-source 02:00:00:00:00:01 -j ACCEPT", []string{"opaque{--mac-source 02:00:00:00:00:01} => accept"}},
		{"mark", "", "", "-A INPUT -m mark --mark 0x7 -j ACCEPT", []string{"mark 0x7 => accept"}},
		{"mark masked", "", "", "-A INPUT -m mark ! --mark 0x100/0xff00 -j ACCEPT", []string{"!mark&0x0000ff00 0x100 => accept"}},
		{"connmark", "", "", "-A INPUT -m connmark --mark 0x1/0x1 -j ACCEPT", []string{"ctmark&0x00000001 0x1 => accept"}},
		{"length", "", "", "-A INPUT -m length --length 0:64 -j DROP", []string{"length 0-64 => drop"}},
		{"connlimit", "", "", "-A INPUT -p tcp -m connlimit --connlimit-above 20 -j REJECT",
			[]string{"l4proto 6 ; opaque{-m connlimit --connlimit-above 20} => reject:icmp-port-unreachable"}},
		{"policy ipsec", "", "", "-A INPUT -m policy --dir in --pol ipsec -j ACCEPT",
			[]string{"ipsec 1 => accept"}},
		{"policy none", "", "", "-A INPUT -m policy --dir in --pol none -j ACCEPT",
			[]string{"!ipsec 1 => accept"}},
		{"pkttype", "", "", "-A INPUT -m pkttype --pkt-type broadcast -j DROP", []string{"pkttype 1 => drop"}},
		{"unknown module", "", "", "-A INPUT -m owner --uid-owner 0 ! --gid-owner 5 -j ACCEPT",
			[]string{"opaque{-m owner --uid-owner 0 ! --gid-owner 5} => accept"}},
		{"unknown module quoted", "", "", "-A INPUT -m string --string \"GET /x y\" --algo bm --to 65535 -j DROP",
			[]string{`opaque{-m string --string "GET /x y" --algo bm --to 65535} => drop`}},
		{"unknown module old negation", "", "", "-A INPUT -m physdev --physdev-in ! eth0 -j DROP",
			[]string{"opaque{-m physdev --physdev-in ! eth0} => drop"}},
		{"unknown module then known", "", "", "-A INPUT -m u32 --u32 \"0>>22&0x3C@12>>26&0x3F=0\" -p tcp --dport 1 -j DROP",
			[]string{`l4proto 6 ; opaque{-m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0"} ; dport 1 => drop`}},
		{"hl", v6, "", "-A INPUT -m hl --hl-eq 255 -j ACCEPT", []string{"hoplimit 255 => accept"}},
		{"hl lt", v6, "", "-A INPUT -m hl --hl-lt 2 -j ACCEPT", []string{"hoplimit 0-1 => accept"}},
		{"hl gt negated", v6, "", "-A INPUT -m hl ! --hl-eq 1 --hl-gt 250 -j ACCEPT", []string{"!hoplimit 1 ; hoplimit 251-255 => accept"}},
		{"ttl", "", "", "-A INPUT -m ttl --ttl-lt 0 -j DROP", []string{"hoplimit  => drop"}},
		{"rt", v6, "", "-A INPUT -m rt --rt-type 0 -j DROP", []string{"exthdr&0x01 1-255 ; opaque{-m rt --rt-type 0} => drop"}},
		{"frag", v6, "", "-A INPUT -m frag --fragmore -j DROP", []string{"exthdr&0x02 1-255 ; opaque{-m frag --fragmore} => drop"}},
		{"hbh bare", v6, "", "-A INPUT -m hbh -j DROP", []string{"exthdr&0x04 1-255 => drop"}},
		{"ipv6header", v6, "", "-A INPUT -m ipv6header --header frag --soft -j DROP", []string{"opaque{-m ipv6header --header frag --soft} => drop"}},
	})
}
