package ipt

import (
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

func TestTargets(t *testing.T) {
	v6 := rules.FamilyIPv6
	runRuleCases(t, []ruleCase{
		{"accept", "", "", "-A INPUT -j ACCEPT", []string{" => accept"}},
		{"drop", "", "", "-A INPUT -j DROP", []string{" => drop"}},
		{"return", "", "", "-A chain -j RETURN", []string{" => return"}},
		{"jump", "", "", "-A INPUT -j chain", []string{" => jump chain"}},
		{"goto", "", "", "-A INPUT -g other", []string{" => goto other"}},
		{"jump long", "", "", "-A INPUT --jump chain", []string{" => jump chain"}},
		{"goto long", "", "", "-A INPUT --goto chain", []string{" => goto chain"}},
		{"reject default v4", "", "", "-A INPUT -j REJECT", []string{" => reject:icmp-port-unreachable"}},
		{"reject default v6", v6, "", "-A INPUT -j REJECT", []string{" => reject:icmp6-port-unreachable"}},
		{"reject net-unreach", "", "", "-A INPUT -j REJECT --reject-with icmp-net-unreachable", []string{" => reject:icmp-net-unreachable"}},
		{"reject alias net-unreach", "", "", "-A INPUT -j REJECT --reject-with net-unreach", []string{" => reject:icmp-net-unreachable"}},
		{"reject host-unreach", "", "", "-A INPUT -j REJECT --reject-with host-unreach", []string{" => reject:icmp-host-unreachable"}},
		{"reject proto-unreach", "", "", "-A INPUT -j REJECT --reject-with icmp-proto-unreachable", []string{" => reject:icmp-proto-unreachable"}},
		{"reject port-unreach", "", "", "-A INPUT -j REJECT --reject-with port-unreach", []string{" => reject:icmp-port-unreachable"}},
		{"reject net-prohib", "", "", "-A INPUT -j REJECT --reject-with net-prohib", []string{" => reject:icmp-net-prohibited"}},
		{"reject host-prohib", "", "", "-A INPUT -j REJECT --reject-with icmp-host-prohibited", []string{" => reject:icmp-host-prohibited"}},
		{"reject tcp-rst", "", "", "-A INPUT -p tcp -j REJECT --reject-with tcp-rst", []string{"l4proto 6 => reject:tcp-reset"}},
		{"reject tcp-reset", "", "", "-A INPUT -p tcp -j REJECT --reject-with tcp-reset", []string{"l4proto 6 => reject:tcp-reset"}},
		{"reject admin-prohib", "", "", "-A INPUT -j REJECT --reject-with admin-prohib", []string{" => reject:icmp-admin-prohibited"}},
		{"reject admin long", "", "", "-A INPUT -j REJECT --reject-with icmp-admin-prohibited", []string{" => reject:icmp-admin-prohibited"}},
		{"reject prefix as iptables", "", "", "-A INPUT -j REJECT --reject-with icmp", []string{" => reject:icmp-net-unreachable"}},
		{"reject case", "", "", "-A INPUT -j REJECT --reject-with ICMP-HOST-PROHIBITED", []string{" => reject:icmp-host-prohibited"}},
		{"reject6 no-route", v6, "", "-A INPUT -j REJECT --reject-with no-route", []string{" => reject:icmp6-no-route"}},
		{"reject6 adm", v6, "", "-A INPUT -j REJECT --reject-with icmp6-adm-prohibited", []string{" => reject:icmp6-adm-prohibited"}},
		{"reject6 adm alias", v6, "", "-A INPUT -j REJECT --reject-with adm-prohibited", []string{" => reject:icmp6-adm-prohibited"}},
		{"reject6 addr", v6, "", "-A INPUT -j REJECT --reject-with addr-unreach", []string{" => reject:icmp6-addr-unreachable"}},
		{"reject6 port", v6, "", "-A INPUT -j REJECT --reject-with icmp6-port-unreachable", []string{" => reject:icmp6-port-unreachable"}},
		{"reject6 tcp-reset", v6, "", "-A INPUT -p tcp -j REJECT --reject-with tcp-reset", []string{"l4proto 6 => reject:tcp-reset"}},
		{"reject6 policy", v6, "", "-A INPUT -j REJECT --reject-with policy-fail", []string{" => reject:icmp6-policy-fail"}},
		{"reject6 route", v6, "", "-A INPUT -j REJECT --reject-with icmp6-reject-route", []string{" => reject:icmp6-reject-route"}},
		{"log", "", "", "-A INPUT -j LOG --log-prefix \"[UFW BLOCK] \" --log-level 6 --log-tcp-options --log-uid",
			[]string{`log{LOG prefix="[UFW BLOCK] " level=info group=0} => continue`}},
		{"log default", "", "", "-A INPUT -j LOG", []string{`log{LOG prefix="" level=warning group=0} => continue`}},
		{"log level name", "", "", "-A INPUT -j LOG --log-level debug", []string{`log{LOG prefix="" level=debug group=0} => continue`}},
		{"nflog", "", "", "-A INPUT -j NFLOG --nflog-prefix drop --nflog-group 5 --nflog-threshold 1",
			[]string{`log{NFLOG prefix="drop" level= group=5} => continue`}},
		{"dnat addr port", "", "nat", "-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 198.19.0.2:80",
			[]string{"l4proto 6 ; dport 8080 => dnat{198.19.0.2-invalid IP:80-0}"}},
		{"dnat addr", "", "nat", "-A PREROUTING -j DNAT --to-destination 198.19.0.2", []string{" => dnat{198.19.0.2-invalid IP:0-0}"}},
		{"dnat range", "", "nat", "-A PREROUTING -p tcp -j DNAT --to-destination 198.19.0.2-198.19.0.9:8000-8009 --random",
			[]string{"l4proto 6 => dnat{198.19.0.2-198.19.0.9:8000-8009}"}},
		{"dnat port only", "", "nat", "-A PREROUTING -p tcp -j DNAT --to-destination :22", []string{"l4proto 6 => dnat{invalid IP-invalid IP:22-0}"}},
		{"dnat v6 bracket", v6, "nat", "-A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::2]:80",
			[]string{"l4proto 6 => dnat{2001:db8::2-invalid IP:80-0}"}},
		{"dnat v6 bare", v6, "nat", "-A PREROUTING -j DNAT --to-destination 2001:db8::2", []string{" => dnat{2001:db8::2-invalid IP:0-0}"}},
		{"dnat v6 range", v6, "nat", "-A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::2]-[2001:db8::9]:80-81",
			[]string{"l4proto 6 => dnat{2001:db8::2-2001:db8::9:80-81}"}},
		{"redirect", "", "nat", "-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 8080",
			[]string{"l4proto 6 ; dport 80 => redirect{invalid IP-invalid IP:8080-0}"}},
		{"redirect range", "", "nat", "-A PREROUTING -p tcp -j REDIRECT --to-ports 8080-8089 --random",
			[]string{"l4proto 6 => redirect{invalid IP-invalid IP:8080-8089}"}},
		{"redirect bare", "", "nat", "-A PREROUTING -p tcp -j REDIRECT", []string{"l4proto 6 => redirect{invalid IP-invalid IP:0-0}"}},
		{"snat", "", "nat", "-A POSTROUTING -j SNAT --to-source 198.18.0.1", []string{"other{-j SNAT --to-source 198.18.0.1} => accept"}},
		{"masquerade", "", "nat", "-A POSTROUTING -o eth0 -j MASQUERADE --random-fully",
			[]string{"oif eth0 ; other{-j MASQUERADE --random-fully} => accept"}},
		{"netmap", "", "nat", "-A PREROUTING -j NETMAP --to 198.19.0.0/24", []string{"other{-j NETMAP --to 198.19.0.0/24} => accept"}},
		{"mark set-xmark", "", "mangle", "-A PREROUTING -j MARK --set-xmark 0x7/0xffffffff", []string{"mark{0x7/0xffffffff} => continue"}},
		{"mark set-mark", "", "mangle", "-A PREROUTING -j MARK --set-mark 0x7", []string{"mark{0x7/0xffffffff} => continue"}},
		{"mark set-mark masked", "", "mangle", "-A PREROUTING -j MARK --set-mark 0x1/0xf0", []string{"mark{0x1/0xf1} => continue"}},
		{"mark and", "", "mangle", "-A PREROUTING -j MARK --and-mark 0xfffffff0", []string{"mark{0x0/0xf} => continue"}},
		{"mark or", "", "mangle", "-A PREROUTING -j MARK --or-mark 0x100", []string{"mark{0x100/0x100} => continue"}},
		{"mark xor", "", "mangle", "-A PREROUTING -j MARK --xor-mark 0x3", []string{"mark{0x3/0x0} => continue"}},
		{"connmark set", "", "mangle", "-A PREROUTING -j CONNMARK --set-xmark 0x2/0xff", []string{"ctmark{0x2/0xff} => continue"}},
		{"connmark set-mark", "", "mangle", "-A PREROUTING -j CONNMARK --set-mark 0x2", []string{"ctmark{0x2/0xffffffff} => continue"}},
		{"connmark save", "", "mangle", "-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff",
			[]string{"savemark{0xffffffff} => continue"}},
		{"connmark save mask", "", "mangle", "-A PREROUTING -j CONNMARK --save-mark --mask 0xff", []string{"savemark{0xff} => continue"}},
		{"connmark restore", "", "mangle", "-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xf0",
			[]string{"restoremark{0xf0} => continue"}},
		{"ct notrack", "", "raw", "-A PREROUTING -p udp -j CT --notrack", []string{"l4proto 17 ; notrack => continue"}},
		{"notrack", "", "raw", "-A PREROUTING -p udp -j NOTRACK", []string{"l4proto 17 ; notrack => continue"}},
		{"ct helper", "", "raw", "-A PREROUTING -p tcp -j CT --helper ftp", []string{"l4proto 6 ; other{-j CT --helper ftp} => continue"}},
		{"trace", "", "raw", "-A PREROUTING -j TRACE", []string{"other{-j TRACE} => continue"}},
		{"tcpmss", "", "mangle", "-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
			[]string{"l4proto 6 ; tcpflags&0x06 2 ; other{-j TCPMSS --clamp-mss-to-pmtu} => continue"}},
		{"checksum", "", "mangle", "-A POSTROUTING -p udp -j CHECKSUM --checksum-fill", []string{"l4proto 17 ; other{-j CHECKSUM --checksum-fill} => continue"}},
		{"set target", "", "", "-A INPUT -j SET --add-set seen src --exist", []string{"other{-j SET --add-set seen src --exist} => continue"}},
		{"nfqueue", "", "", "-A INPUT -j NFQUEUE --queue-num 3 --queue-bypass", []string{" => queue{num 3 bypass}"}},
		{"nfqueue balance", "", "", "-A INPUT -j NFQUEUE --queue-balance 0:3 --queue-cpu-fanout", []string{" => queue{num 0-3 fanout}"}},
		{"nfqueue default", "", "", "-A INPUT -j NFQUEUE", []string{" => queue{num 0}"}},
		{"queue", "", "", "-A INPUT -j QUEUE", []string{" => queue{num 0}"}},
		{"tproxy", "", "mangle", "-A PREROUTING -p tcp -j TPROXY --on-port 3128 --on-ip 198.18.0.1 --tproxy-mark 0x1/0x1",
			[]string{"l4proto 6 ; mark{0x1/0x1} => tproxy{198.18.0.1-invalid IP:3128-0}"}},
		{"unknown target", "", "", "-A INPUT -j FOOBAR --foo-opt 1", []string{" => unknown target FOOBAR"}},
		{"synproxy answers SYNs itself", "", "", "-A INPUT -p tcp -m tcp --dport 80 -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460",
			[]string{"l4proto 6 ; dport 80 => unknown target SYNPROXY"}},
		{"clusterip drops others' packets", "", "", "-A INPUT -d 198.18.0.9/32 -j CLUSTERIP --new --hashmode sourceip --clustermac 01:00:5E:00:00:20 --total-nodes 2 --local-node 1",
			[]string{"daddr 198.18.0.9 => unknown target CLUSTERIP"}},
		{"dnpt rewrites the destination", v6, "mangle", "-A PREROUTING -d 2001:db8:1::/48 -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48",
			[]string{"daddr 2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff => unknown target DNPT"}},
		{"ulog never ends the walk", "", "", "-A INPUT -j ULOG --ulog-prefix x", []string{"other{-j ULOG --ulog-prefix x} => continue"}},
		{"hmark never ends the walk", "", "mangle", "-A PREROUTING -j HMARK --hmark-tuple src --hmark-mod 4 --hmark-rnd 0x1",
			[]string{"other{-j HMARK --hmark-tuple src --hmark-mod 4 --hmark-rnd 0x1} => continue"}},
		{"tee never ends the walk", "", "mangle", "-A PREROUTING -j TEE --gateway 198.18.0.7", []string{"other{-j TEE --gateway 198.18.0.7} => continue"}},
	})
}

// TestNonTerminatingTargets: every target rules.NonTerminating lists is
// read as one that lets the walk go on.
func TestNonTerminatingTargets(t *testing.T) {
	for _, name := range rules.NonTerminatingTargets() {
		spec := targetSpecs[name]
		if spec == nil {
			t.Errorf("target %s has no spec", name)
			continue
		}
		r := &ruleLine{fam: rules.FamilyIPv4}
		e := &ext{name: name, spec: spec, target: true, pieces: []string{"-j " + name}}
		if spec.opts == nil {
			if err := spec.build(r, e); err != nil || r.verdict.Kind != rules.Continue {
				t.Errorf("-j %s: verdict %v, err %v", name, r.verdict, err)
			}
		}
	}
	for name, spec := range targetSpecs {
		if spec.opts == nil && !rules.NonTerminating(name) {
			t.Errorf("target %s is taken as doing nothing but may end the walk", name)
		}
	}
}

func TestUnknownTargetNote(t *testing.T) {
	rs, err := parseLines(t, rules.FamilyIPv4, "filter", "-A INPUT -j SYNPROXY --mss 1460")
	if err != nil {
		t.Fatal(err)
	}
	want := "test ipv4 table filter: unknown target SYNPROXY: it may end the packet's walk, so what follows it is undecided"
	if len(rs.Notes) != 1 || rs.Notes[0] != want {
		t.Errorf("notes %q", rs.Notes)
	}
}
