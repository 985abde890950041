package report

import (
	"strings"
	"testing"
)

type serviceCase struct {
	proto   string
	port    uint16
	process string
	want    string // "" for not known
}

func checkServices(t *testing.T, cases []serviceCase) {
	t.Helper()
	for _, c := range cases {
		s, ok := knownService(c.proto, c.port, c.process)
		if c.want == "" {
			if ok {
				t.Errorf("knownService(%s/%d, %q) = %q, want not known", c.proto, c.port, c.process, s.Name)
			}
			continue
		}
		if !ok || s.Name != c.want {
			t.Errorf("knownService(%s/%d, %q) = %q, %v; want %q", c.proto, c.port, c.process, s.Name, ok, c.want)
		}
	}
}

func TestKnownServiceProcessBeatsPort(t *testing.T) {
	checkServices(t, []serviceCase{
		{"tcp", 7000, "redis-server", "redis"},
		{"tcp", 2222, "sshd", "ssh"},
		{"tcp", 443, "sshd", "ssh"},
		{"tcp", 3307, "mariadbd", "mysql"},
		{"tcp", 5433, "postgres", "postgresql"},
		{"udp", 11212, "memcached", "memcached"},
		{"tcp", 9999, "etcd", "etcd"},
		{"tcp", 12000, "kubelet", "kubelet"},
		{"tcp", 514, "rsyslogd", "syslog"}, // not rsh
		{"tcp", 514, "", "rsh"},
		// Daemons that name the service only on its own ports.
		{"tcp", 2375, "dockerd", "docker-api"},
		{"tcp", 2376, "dockerd", "docker-api-tls"},
		{"tcp", 2377, "dockerd", "docker-swarm"},
		{"tcp", 5432, "dockerd", "postgresql"}, // a published port (userland proxy off)
		{"tcp", 10255, "kubelet", "kubelet-readonly"},
		{"tcp", 5901, "Xvnc", "vnc"},
		{"tcp", 6001, "Xvnc", "x11"},
		{"tcp", 5999, "Xvnc", ""},
		{"tcp", 143, "dovecot", "imap"},
		{"tcp", 995, "dovecot", "pop3"},
		{"tcp", 4190, "dovecot", ""},
		{"udp", 53, "dnsmasq", "dns"},
		{"udp", 67, "dnsmasq", ""},
		// Needs the process: the port alone is something else.
		{"tcp", 8080, "kube-apiserver", "kubernetes-api-insecure"},
		{"tcp", 8080, "", "http-alt"},
		{"tcp", 8080, "java", "http-alt"},
		{"tcp", 6443, "kube-apiserver", "kubernetes-api"},
		{"tcp", 8088, "java", "hadoop-yarn"},
		{"tcp", 8088, "", ""},
	})
}

func TestKnownServiceRuntimesNotDecisive(t *testing.T) {
	checkServices(t, []serviceCase{
		{"tcp", 9200, "java", "elasticsearch"},
		{"tcp", 9092, "java", "kafka"},
		{"tcp", 2181, "java", "zookeeper"},
		{"tcp", 5672, "beam.smp", "rabbitmq"},
		{"tcp", 5984, "beam.smp", "couchdb"},
		{"tcp", 6379, "docker-proxy", "redis"},
		{"tcp", 22, "systemd", "ssh"},
		{"tcp", 3306, "nginx", "mysql"},
		{"tcp", 3306, "sshd-session", "mysql"}, // an ssh -R forward
		{"tcp", 40000, "java", ""},
		{"tcp", 40000, "beam.smp", ""},
		{"tcp", 40000, "python3", ""},
		{"tcp", 40000, "docker-proxy", ""},
		{"tcp", 40000, "dockerd", ""},
	})
}

func TestKnownServiceProto(t *testing.T) {
	checkServices(t, []serviceCase{
		{"udp", 11211, "", "memcached"},
		{"tcp", 11211, "", "memcached"},
		{"udp", 161, "", "snmp"},
		{"tcp", 161, "", ""},
		{"tcp", 161, "snmpd", "snmp"},
		{"udp", 137, "", "netbios"},
		{"udp", 138, "", "netbios"},
		{"tcp", 137, "", ""},
		{"udp", 514, "", "syslog"},
		{"udp", 512, "", ""}, // biff, not rexec
		{"udp", 22, "", ""},
		{"tcp", 53, "", "dns"},
		{"udp", 53, "", "dns"},
		{"udp", 123, "", "ntp"},
		{"tcp", 123, "", ""},
		{"udp", 69, "", "tftp"},
		{"udp", 389, "", "ldap"},
		{"udp", 443, "", "https"},
		{"tcp", 6000, "", "x11"},
		{"tcp", 6063, "", "x11"},
		{"tcp", 6064, "", ""},
		{"sctp", 5672, "", ""},
	})
}

func TestKnownServiceUnknown(t *testing.T) {
	checkServices(t, []serviceCase{
		{"tcp", 1, "", ""},
		{"tcp", 40000, "someapp", ""},
		{"udp", 9999, "", ""},
		{"tcp", 65535, "", ""},
		{"", 22, "", ""},
		{"TCP", 22, "", ""}, // protocols are lower case, as sockets.Socket has them
	})
}

// The severities the audit relies on, spot-checked against the guidance.
func TestKnownServiceSeverities(t *testing.T) {
	cases := []struct {
		proto string
		port  uint16
		want  Severity
	}{
		{"tcp", 2375, Critical}, {"tcp", 2379, Critical}, {"tcp", 2380, Critical},
		{"tcp", 10250, Critical}, {"tcp", 10255, Critical}, {"tcp", 6379, Critical},
		{"udp", 11211, Critical}, {"tcp", 27017, Critical}, {"tcp", 9200, Critical},
		{"tcp", 9300, Critical}, {"tcp", 5984, Critical}, {"tcp", 23, Critical},
		{"tcp", 512, Critical}, {"tcp", 513, Critical}, {"tcp", 514, Critical},
		{"tcp", 6010, Critical}, {"tcp", 2049, Critical}, {"udp", 111, Critical},
		{"tcp", 445, Critical}, {"tcp", 139, Critical},
		{"tcp", 5432, High}, {"tcp", 3306, High}, {"tcp", 1433, High}, {"tcp", 1521, High},
		{"tcp", 9042, High}, {"tcp", 3389, High}, {"tcp", 5900, High}, {"tcp", 5903, High},
		{"tcp", 5672, High}, {"tcp", 15672, High}, {"tcp", 9092, High}, {"tcp", 2181, High},
		{"tcp", 2376, High}, {"tcp", 6443, High}, {"tcp", 389, High}, {"tcp", 636, High},
		{"udp", 161, High}, {"udp", 137, High}, {"tcp", 8500, High}, {"tcp", 8200, High},
		{"tcp", 9090, Medium}, {"tcp", 9100, Medium}, {"tcp", 21, Medium}, {"tcp", 25, Medium},
		{"tcp", 110, Medium}, {"tcp", 143, Medium}, {"udp", 53, Medium}, {"tcp", 1883, Medium},
		{"udp", 123, Low}, {"tcp", 22, Low},
		{"tcp", 80, Info}, {"tcp", 443, Info}, {"tcp", 8080, Info}, {"tcp", 8443, Info},
	}
	for _, c := range cases {
		s, ok := knownService(c.proto, c.port, "")
		if !ok || s.Severity != c.want {
			t.Errorf("knownService(%s/%d) = %+v, %v; want severity %v", c.proto, c.port, s, ok, c.want)
		}
	}
	if s, _ := knownService("tcp", 8088, "java"); s.Severity != Critical {
		t.Errorf("hadoop-yarn severity %v, want critical", s.Severity)
	}
}

func TestKnownBackdoor(t *testing.T) {
	cases := []struct {
		proto string
		port  uint16
		want  string // a part of the name; "" for not known
	}{
		{"udp", 31337, "Back Orifice"},
		{"tcp", 31337, "Back Orifice"},
		{"tcp", 12345, "NetBus"},
		{"tcp", 12346, "NetBus"},
		{"tcp", 20034, "NetBus 2 Pro"},
		{"tcp", 27374, "SubSeven"},
		{"tcp", 1243, "SubSeven"},
		{"tcp", 54320, "Back Orifice 2000"},
		{"udp", 54321, "Back Orifice 2000"},
		{"tcp", 4444, "Metasploit"},
		{"tcp", 5554, "Sasser"},
		{"tcp", 9996, "Sasser"},
		{"tcp", 2745, "Bagle"},
		{"tcp", 3127, "MyDoom"},
		{"tcp", 7597, "Qaz"},
		{"udp", 27444, "Trinoo"},
		{"tcp", 6667, "IRC (also botnet command and control)"},
		{"tcp", 6666, "IRC"},
		// Common legitimate ports, or unsourced ones, stay out.
		{"udp", 12345, ""},
		{"tcp", 3128, ""},
		{"tcp", 1080, ""},
		{"tcp", 8080, ""},
		{"tcp", 1337, ""},
		{"tcp", 65506, ""},
		{"udp", 65506, ""},
		{"tcp", 22, ""},
		{"udp", 6667, ""},
	}
	for _, c := range cases {
		b, ok := knownBackdoor(c.proto, c.port)
		if c.want == "" {
			if ok {
				t.Errorf("knownBackdoor(%s/%d) = %q, want not known", c.proto, c.port, b.Name)
			}
			continue
		}
		if !ok || !strings.Contains(b.Name, c.want) {
			t.Errorf("knownBackdoor(%s/%d) = %q, %v; want a name with %q", c.proto, c.port, b.Name, ok, c.want)
		}
	}
}

// serviceKinds are the kinds the rows may use, so that a typo does not
// make a new one.
var serviceKinds = map[string]bool{
	"database": true, "cache": true, "message queue": true, "coordination": true,
	"remote shell": true, "container API": true, "job scheduler": true,
	"file sharing": true, "remote desktop": true, "web console": true, "web": true,
	"mail": true, "dns": true, "time": true, "directory": true, "name service": true,
	"rpc": true, "monitoring": true, "network management": true, "logging": true,
	"service discovery": true, "secrets store": true,
}

func TestServiceTablesWellFormed(t *testing.T) {
	names := map[string]bool{}
	for _, r := range serviceRows {
		if r.Name == "" || r.Kind == "" {
			t.Errorf("service row %+v: empty Name or Kind", r.service)
		}
		if !serviceKinds[r.Kind] {
			t.Errorf("service %s: kind %q is not one of serviceKinds", r.Name, r.Kind)
		}
		if r.Severity < Info || r.Severity > Critical {
			t.Errorf("service %s: severity %d out of range", r.Name, r.Severity)
		}
		if names[r.Name] {
			t.Errorf("service %s: two rows", r.Name)
		}
		names[r.Name] = true
		if len(r.ports) == 0 && len(r.procs) == 0 {
			t.Errorf("service %s: neither ports nor processes", r.Name)
		}
		if len(r.portProcs) > 0 && len(r.ports) == 0 {
			t.Errorf("service %s: portProcs without ports", r.Name)
		}
		if r.procOnly && len(r.portProcs) == 0 {
			t.Errorf("service %s: procOnly without portProcs: it can never be found", r.Name)
		}
		for _, p := range append(append([]string{}, r.procs...), r.portProcs...) {
			// comm is at most TASK_COMM_LEN-1 = 15 bytes: a longer name never matches.
			if p == "" || len(p) > 15 || strings.ContainsAny(p, "/ ") {
				t.Errorf("service %s: process name %q cannot be a comm", r.Name, p)
			}
		}
	}
	for _, r := range backdoorRows {
		if r.Name == "" || len(r.ports) == 0 {
			t.Errorf("backdoor row %+v: empty Name or no ports", r)
		}
	}
}

// No port is in both tables, unless listed here with the reason.
var deliberatelyInBothTables = map[listenKey]string{}

func TestServiceAndBackdoorTablesDisjoint(t *testing.T) {
	for _, r := range serviceRows {
		keys, err := parsePortSpecs(r.ports)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			b, both := backdoorIdx[k]
			if both && deliberatelyInBothTables[k] == "" {
				t.Errorf("%s/%d is both service %s and backdoor %s", k.proto, k.port, r.Name, b.Name)
			}
		}
	}
}

func TestServiceIndexRejectsClashes(t *testing.T) {
	a := service{"a", "web", Info}
	b := service{"b", "web", Info}
	bad := map[string][]serviceRow{
		"same port":             {{service: a, ports: []string{"tcp/80"}}, {service: b, ports: []string{"tcp/79-81"}}},
		"same process":          {{service: a, procs: []string{"x"}}, {service: b, procs: []string{"x"}}},
		"same process and port": {{service: a, ports: []string{"tcp/80"}, portProcs: []string{"x"}, procOnly: true}, {service: b, ports: []string{"tcp/80"}, portProcs: []string{"x"}}},
		"bad port":              {{service: a, ports: []string{"tcp:80"}}},
	}
	for name, rows := range bad {
		if _, err := indexServices(rows); err == nil {
			t.Errorf("%s: indexServices accepted %+v", name, rows)
		}
	}
	if _, err := indexBackdoors([]backdoorRow{{[]string{"tcp/1"}, backdoor{"a"}}, {[]string{"tcp/1"}, backdoor{"b"}}}); err == nil {
		t.Error("indexBackdoors accepted a port twice")
	}
	ok := []serviceRow{{service: a, ports: []string{"tcp/80"}}, {service: b, ports: []string{"udp/80"}}}
	if _, err := indexServices(ok); err != nil {
		t.Errorf("tcp/80 and udp/80: %v", err)
	}
}

func TestServicePortSpec(t *testing.T) {
	good := map[string][3]any{
		"tcp/22":          {"tcp", uint16(22), uint16(22)},
		"udp/137-138":     {"udp", uint16(137), uint16(138)},
		"tcp/65535":       {"tcp", uint16(65535), uint16(65535)},
		"tcp/6000-6063":   {"tcp", uint16(6000), uint16(6063)},
		"udp/11211-11211": {"udp", uint16(11211), uint16(11211)},
	}
	for spec, want := range good {
		proto, lo, hi, err := parsePortSpec(spec)
		if err != nil || proto != want[0] || lo != want[1] || hi != want[2] {
			t.Errorf("parsePortSpec(%q) = %s, %d, %d, %v; want %v", spec, proto, lo, hi, err, want)
		}
	}
	for _, spec := range []string{"", "tcp", "tcp/", "tcp/0", "tcp/65536", "sctp/22", "TCP/22", "tcp/10-5", "tcp/x", "tcp/1-", "22"} {
		if _, _, _, err := parsePortSpec(spec); err == nil {
			t.Errorf("parsePortSpec(%q) accepted it", spec)
		}
	}
}
