package ipt

import (
	"strings"
	"testing"

	"github.com/perimeter-dev/perimeter/rules"
)

const ipsetListing = `create allow4 hash:ip family inet hashsize 1024 maxelem 65536
add allow4 198.18.0.1
add allow4 198.18.0.2
add allow4 198.18.0.10-198.18.0.12
create nets hash:net family inet hashsize 1024 maxelem 65536
add nets 198.18.0.0/16
add nets 198.18.5.0/24 nomatch
add nets 198.18.5.128/25
create nets6 hash:net family inet6 hashsize 1024 maxelem 65536
add nets6 2001:db8::/32
create svc hash:ip,port family inet hashsize 1024 maxelem 65536
add svc 198.18.0.1,tcp:22
add svc 198.18.0.2,udp:53
create svcnet hash:net,port family inet hashsize 1024 maxelem 65536 counters comment
add svcnet 198.18.0.0/24,tcp:80 packets 0 bytes 0 comment "web"
create triple hash:ip,port,ip family inet hashsize 1024 maxelem 65536
add triple 198.18.0.1,tcp:443,198.18.1.1
create ports bitmap:port range 0-65535
add ports 22
add ports 8000-8002
create bm bitmap:ip range 198.18.0.0-198.18.0.255 timeout 300
add bm 198.18.0.7 timeout 100
create marks hash:ip,mark family inet
add marks 198.18.0.1,0x7
create ifs hash:net,iface family inet
add ifs 198.18.0.0/24,eth0
create icmpsvc hash:ip,port family inet
add icmpsvc 198.18.0.1,icmp:echo-request
create macs hash:mac
add macs 02:00:00:00:00:01
create lst list:set size 8
add lst allow4
add lst bm
create mixed list:set size 8
add mixed allow4
add mixed svc
create gone hash:ip
add gone 198.18.0.99
del gone 198.18.0.99
`

func TestParseIPSets(t *testing.T) {
	sets, err := ParseIPSets(strings.NewReader(ipsetListing))
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 15 {
		t.Errorf("%d sets", len(sets))
	}
	if s := sets["nets6"]; s.Family != rules.FamilyIPv6 || s.Type != "hash:net" || len(s.Members) != 1 || s.Line != 9 {
		t.Errorf("nets6 %+v", s)
	}
	if s := sets["bm"]; !s.Timeout || s.Family != rules.FamilyIPv4 {
		t.Errorf("bm %+v", s)
	}
	if s := sets["ports"]; s.Family != "" || len(s.Members) != 2 {
		t.Errorf("ports %+v", s)
	}
	if m := sets["nets"].Members[1]; !m.Nomatch || m.Text != "198.18.5.0/24" {
		t.Errorf("nomatch member %+v", m)
	}
	if len(sets["gone"].Members) != 0 {
		t.Error("del ignored")
	}
}

func TestSetMatches(t *testing.T) {
	sets, err := ParseIPSets(strings.NewReader(ipsetListing))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		fam  rules.Family
		line string
		want string
	}{
		{"", "-A INPUT -m set --match-set allow4 src -j ACCEPT", "saddr 198.18.0.1-198.18.0.2|198.18.0.10-198.18.0.12 => accept"},
		{"", "-A INPUT -m set ! --match-set allow4 dst -j ACCEPT", "!daddr 198.18.0.1-198.18.0.2|198.18.0.10-198.18.0.12 => accept"},
		{"", "-A INPUT -m set --set allow4 src -j ACCEPT", "saddr 198.18.0.1-198.18.0.2|198.18.0.10-198.18.0.12 => accept"},
		{"", "-A INPUT -m set --match-set nets src -j ACCEPT",
			"saddr 198.18.0.0-198.18.4.255|198.18.5.128-198.18.255.255 => accept"},
		{"", "-A INPUT -m set --match-set nets src --return-nomatch -j ACCEPT", "saddr 198.18.0.0-198.18.255.255 => accept"},
		{"", "-A INPUT -m set --match-set nets6 src -j ACCEPT", "saddr  => accept"},
		{rules.FamilyIPv6, "-A INPUT -m set --match-set nets6 src -j ACCEPT",
			"saddr 2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff => accept"},
		{"", "-A INPUT -m set --match-set svc dst,dst -j ACCEPT", "daddr.l4proto.dport 198.18.0.1 . 6 . 22|198.18.0.2 . 17 . 53 => accept"},
		{"", "-A INPUT -m set --match-set svc src,src -j ACCEPT", "saddr.l4proto.sport 198.18.0.1 . 6 . 22|198.18.0.2 . 17 . 53 => accept"},
		{"", "-A INPUT -m set --match-set svc dst -j ACCEPT", "daddr.l4proto.dport  => accept"},
		{"", "-A INPUT -m set --match-set svcnet src,dst -j ACCEPT", "saddr.l4proto.dport 198.18.0.0-198.18.0.255 . 6 . 80 => accept"},
		{"", "-A INPUT -m set --match-set triple dst,dst,src -j ACCEPT",
			"daddr.l4proto.dport.saddr 198.18.0.1 . 6 . 443 . 198.18.1.1 => accept"},
		{"", "-A INPUT -m set --match-set ports dst -j ACCEPT", "dport 22|8000-8002 => accept"},
		{rules.FamilyIPv6, "-A INPUT -m set --match-set ports dst -j ACCEPT", "dport 22|8000-8002 => accept"},
		{"", "-A INPUT -m set --match-set bm src -j DROP", "saddr 198.18.0.7 => drop"},
		{"", "-A INPUT -m set --match-set marks src,dst -j DROP", "saddr.mark 198.18.0.1 . 0x7 => drop"},
		{"", "-A INPUT -m set --match-set ifs src,src -j DROP", "saddr.iif 198.18.0.0-198.18.0.255 . eth0 => drop"},
		{"", "-A INPUT -m set --match-set icmpsvc src,dst -j DROP", "opaque{--match-set icmpsvc src,dst} => drop"},
		{"", "-A INPUT -m set --match-set macs src -j DROP", "opaque{--match-set macs src} => drop"},
		{"", "-A INPUT -m set --match-set lst src -j DROP", "saddr 198.18.0.1-198.18.0.2|198.18.0.7|198.18.0.10-198.18.0.12 => drop"},
		{"", "-A INPUT -m set --match-set mixed src,dst -j DROP", "opaque{--match-set mixed src,dst} => drop"},
		{"", "-A INPUT -m set --match-set unknown src -j DROP", "opaque{--match-set unknown src} => drop"},
		{"", "-A INPUT -m set ! --match-set unknown src -j DROP", "opaque{--match-set unknown src} => drop"},
		{"", "-A INPUT -m set --match-set allow4 src --packets-gt 10 -j DROP",
			"opaque{--packets-gt 10} ; saddr 198.18.0.1-198.18.0.2|198.18.0.10-198.18.0.12 => drop"},
	}
	for _, c := range cases {
		fam := c.fam
		if fam == "" {
			fam = rules.FamilyIPv4
		}
		in := "*filter\n" + c.line + "\nCOMMIT\n"
		rs, err := Parse(strings.NewReader(in), Options{Family: fam, IPSets: sets, Source: "t"})
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if got := describeRule(rs.Tables[0].Chains[0].Rules[0]); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.line, got, c.want)
		}
	}
}

func TestSetNotes(t *testing.T) {
	sets, _ := ParseIPSets(strings.NewReader(ipsetListing))
	in := "*filter\n-A INPUT -m set --match-set unknown src -j DROP\n-A INPUT -m set --match-set unknown dst -j DROP\n" +
		"-A INPUT -m set --match-set bm src -j DROP\n-A INPUT -m set --match-set macs src -j DROP\nCOMMIT\n"
	rs, err := Parse(strings.NewReader(in), Options{IPSets: sets})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ipset unknown: contents unknown: not among the sets of the --ipset files (allow4, bm, gone, icmpsvc, ifs and 10 more)",
		"ipset bm: members time out; evaluated as listed",
		"ipset macs: hash:mac members the model cannot hold; kept undecided",
	}
	if strings.Join(rs.Notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s", strings.Join(rs.Notes, "\n"))
	}
}

// TestUnknownSetNote: the note says why a set's contents are unknown, and
// asks for --ipset only when none was given.
func TestUnknownSetNote(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{}, "ipset x: contents unknown (pass --ipset FILE)"},
		{Options{IPSets: IPSets{}}, "ipset x: contents unknown: the --ipset files hold no set"},
		{Options{IPSets: IPSets{"a": {}, "b": {}}}, "ipset x: contents unknown: not among the sets of the --ipset files (a, b)"},
		{Options{IPSets: IPSets{"a": {}}, Backend: rules.BackendIptablesNft}, "ipset x: not among the host's ipsets; kept undecided"},
	} {
		if got := unknownSetNote("x", c.opts); got != c.want {
			t.Errorf("%+v: %q, want %q", c.opts, got, c.want)
		}
	}
}

func TestIPSetCommands(t *testing.T) {
	in := `# comment
create a hash:ip -exist
add a 198.18.0.1
flush a
add a 198.18.0.2
create b hash:net,iface family inet
add b 198.18.0.0/24,veth wildcard
add b 198.18.1.0/24,physdev:eth0
create c hash:ip
destroy c
`
	sets, err := ParseIPSets(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 || len(sets["a"].Members) != 1 || sets["a"].Members[0].Text != "198.18.0.2" {
		t.Errorf("sets %+v", sets)
	}
	if m := sets["b"].Members; m[0].Opaque || !m[1].Opaque {
		t.Errorf("iface members %+v", m)
	}
	if got := describeInterval(rules.FieldIIF, sets["b"].Members[0].Parts[1]); got != "veth+" {
		t.Errorf("wildcard %s", got)
	}
	sets, err = ParseIPSets(strings.NewReader("create a hash:ip\ndestroy\n"))
	if err != nil || len(sets) != 0 {
		t.Errorf("destroy all: %v %v", sets, err)
	}
}

func TestParseIPSetsErrors(t *testing.T) {
	cases := map[string]string{
		"add nope 1.2.3.4\n":                                  `parse ipsets:1: no set "nope": "add nope 1.2.3.4"`,
		"create a hash:ip\ncreate a hash:ip\n":                `parse ipsets:2: set "a" exists: "create a hash:ip"`,
		"create a hash:foo\n":                                 `parse ipsets:1: unknown set type "hash:foo": "create a hash:foo"`,
		"create a hash:ip\nadd a 198.18.0.1,22\n":             `parse ipsets:2: element "198.18.0.1,22" does not fit hash:ip: "add a 198.18.0.1,22"`,
		"create a hash:ip\nadd a host.example\n":              `parse ipsets:2: host name "host.example": only numeric addresses are supported: "add a host.example"`,
		"create a hash:ip,port\nadd a 198.18.0.1,tcp:99999\n": `parse ipsets:2: bad port "99999" (want a number from 0 to 65535 or a service name): "add a 198.18.0.1,tcp:99999"`,
		"create a hash:ip\nadd a 198.18.0.1 bogus\n":          `parse ipsets:2: unknown element option "bogus": "add a 198.18.0.1 bogus"`,
		"swap a b\n":                      `parse ipsets:1: unknown command "swap": "swap a b"`,
		"create a hash:ip family inet7\n": `parse ipsets:1: unknown family "inet7": "create a hash:ip family inet7"`,
	}
	for in, want := range cases {
		if _, err := ParseIPSets(strings.NewReader(in)); err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", in, err, want)
		}
	}
}
