package report

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds two lookup tables for the audit's findings: the services
// that should rarely face the internet, and the ports long used by trojans
// and backdoors. Sources, named by the keys used in the rows' comments:
//
//	[iana]    IANA Service Name and Transport Protocol Port Number Registry,
//	          as shipped in Debian's netbase /etc/services.
//	[nmap]    nmap-services from the Nmap Security Scanner ($Id: nmap-services
//	          38442 2022-08-31), which notes vendor defaults and trojans.
//	[docs]    The projects' own documentation of their default ports:
//	          Kubernetes "Ports and Protocols" and k8s.io/kubernetes
//	          pkg/cluster/ports (KubeletPort 10250, KubeletReadOnlyPort
//	          10255), RabbitMQ "Networking and RabbitMQ" (4369, 5671-5672,
//	          15672, 25672), Elastic (9200 HTTP, 9300 transport), Apache
//	          Cassandra FAQ (9042), Kafka (9092), ZooKeeper (2181), HashiCorp
//	          Consul (8500) and Vault (8200), Prometheus's default port
//	          allocations (9090, 9100).
//	[ta14]    CISA (US-CERT) alert TA14-017A "UDP-Based Amplification
//	          Attacks" (rev. 2018-02-27, adding memcache): DNS, NTP, CLDAP,
//	          SNMPv2, portmap, NetBIOS, TFTP and memcache reflectors.
//	[k8sh]    NSA/CISA "Kubernetes Hardening Guidance" (Aug. 2021, v1.2
//	          2022): keep the control plane (6443, 2379-2380) and kubelet
//	          (10250) off untrusted networks.
//	[docker]  Docker "Protect the Docker daemon socket" (the API without TLS
//	          is root on the host) and Trend Micro's 2018 report of miners
//	          planted through exposed 2375/2376; moby/moby#28589 (with
//	          --userland-proxy=false dockerd itself holds published ports)
//	          and moby/moby#48132 (the daemon creates docker-proxy's sockets).
//	[nosql]   Krebs on Security, Jan. 2017, on tens of thousands of MongoDB
//	          databases found with Shodan and wiped for ransom (MongoDB's
//	          old default: no authentication on every address); Censys,
//	          "Introducing Relational Database Scanning", 2018 (5.5 million
//	          MySQL, PostgreSQL, MSSQL and Oracle servers on the internet).
//	[yarn]    Hadoop YARN's ResourceManager REST API (8088) runs submitted
//	          applications as dr.who unless told otherwise
//	          (yarn.webapp.enable-rest-app-submissions, Hadoop 2.10.1+);
//	          Kakao Cloud "Hadoop Eco security case".
//	[sasser]  F-Secure weblog, 2004-05-01, "More info on Sasser": a shell on
//	          tcp/9996 and an FTP server on tcp/5554.
//	[blaster] Cisco, Blaster worm mitigation: tcp/135, tcp/4444 (the shell),
//	          udp/69.
//	[msf]     Metasploit Framework: 4444 is the LPORT default of its bind
//	          and reverse shell payloads and of exploit/multi/handler.
//	[akerman] R. Akerman, "Dangerous TCP/IP ports" trojan port table
//	          (chebucto.ns.ca, 2004): 2745 Beagle.C-K, 3127 MyDoom.A, 5554
//	          Sasser. Radware DDoSPedia "MyDoom": its backdoor on tcp/3127.
//	[sub7]    SubSeven: 27374 its usual port, 1243 that of early versions
//	          (everything2 "Sub7"; nmap-services lists 27374 and 16959).
//	[sans]    SANS Intrusion Detection FAQ "What port numbers do well-known
//	          trojan horses use?", as quoted by LinuxSecurity.com (7597, Qaz).
//	[ceh]     The classic trojan port list of EC-Council's CEH course, as
//	          reproduced in "Detecting Trojans and Viruses" (eduguru.in):
//	          NetBus 2 Pro tcp/20034, Back Orifice 2000 TCP/UDP 54320/54321.
//	[irc]     Microsoft Security Intelligence Report, "Botnets today: IRC
//	          botnets" (IRC the most common command-and-control channel);
//	          6666-6667 are IRC's ports in [iana] and [nmap].
//
// Left out of the backdoor table on purpose: 1337 (the default port of the
// Sails.js and Strapi development servers, and of Nullsoft WASTE in [nmap]),
// 65506 (no source found naming a backdoor; udp/65506 is TPM2.net and WLED's
// LED-control port), and 1080, 3128, 8080 (SOCKS and web proxies, though
// MyDoom variants used them).

// service is what listens on a port, as far as an auditor cares.
type service struct {
	Name     string   // "postgresql", "redis", "docker-api"
	Kind     string   // "database", "cache", "container API", ...
	Severity Severity // when reachable from outside and bound to every address
}

// backdoor is a trojan or backdoor long associated with a port.
type backdoor struct {
	Name string // what is known to use it, e.g. "Back Orifice (elite)"
}

// knownService names the service on proto ("tcp" or "udp") and port, by
// its process name (comm) first and else by its port. ok is false when
// neither is known. A process name that says nothing of the service (java,
// beam.smp, python3, a proxy like docker-proxy, haproxy or nginx, socket
// activation by systemd) is not decisive: the port decides, save for the
// few pairs of process and port in serviceRows' portProcs (java on 8088).
func knownService(proto string, port uint16, process string) (s service, ok bool) {
	at := listenKey{proto, port}
	if s, ok = serviceIdx.byProcPort[procPort{process, at}]; ok {
		return s, true
	}
	if s, ok = serviceIdx.byProc[process]; ok {
		return s, true
	}
	s, ok = serviceIdx.byPort[at]
	return s, ok
}

// knownBackdoor is the trojan or backdoor long associated with proto/port.
func knownBackdoor(proto string, port uint16) (b backdoor, ok bool) {
	b, ok = backdoorIdx[listenKey{proto, port}]
	return b, ok
}

// serviceRow is one service with what identifies it.
type serviceRow struct {
	service
	// ports are where it listens by default: "tcp/5432", "udp/137-138".
	// They name it when the process does not.
	ports []string
	// procs are process names (comm, at most 15 bytes) that are this
	// service whatever the port.
	procs []string
	// portProcs are process names that are this service only on ports:
	// runtimes (java) and daemons that also listen for other things
	// (dockerd holds containers' published ports, dovecot serves two
	// protocols, Xvnc serves VNC and X11).
	portProcs []string
	// procOnly: the ports alone are too common to name the service; only
	// one of portProcs on them does.
	procOnly bool
}

// serviceRows: severities are for a service reachable from outside on every
// address. Critical: unauthenticated or trivially abused by default.
// High: authenticated but a prime target (databases, remote desktops,
// control planes) or an amplifier. Medium: exposure is often a mistake.
// Low and info: usually meant to face the network.
var serviceRows = []serviceRow{
	// Container platforms [docker] [k8sh] [docs] [nmap].
	{service: service{"docker-api", "container API", Critical}, ports: []string{"tcp/2375"}, portProcs: []string{"dockerd"}},
	{service: service{"docker-api-tls", "container API", High}, ports: []string{"tcp/2376"}, portProcs: []string{"dockerd"}},
	{service: service{"docker-swarm", "container API", Medium}, ports: []string{"tcp/2377"}, portProcs: []string{"dockerd"}},
	// containerd's own TCP listeners (gRPC, CRI streaming) are off or on
	// loopback by default; published ports belong to other processes.
	{service: service{"containerd", "container API", High}, procs: []string{"containerd"}},
	{service: service{"etcd", "database", Critical}, ports: []string{"tcp/2379-2380"}, procs: []string{"etcd"}},
	{service: service{"kubelet", "container API", Critical}, ports: []string{"tcp/10250"}, procs: []string{"kubelet"}},
	{service: service{"kubelet-readonly", "container API", Critical}, ports: []string{"tcp/10255"}, portProcs: []string{"kubelet"}},
	{service: service{"kubernetes-api", "container API", High}, ports: []string{"tcp/6443"}, procs: []string{"kube-apiserver"}},
	// The insecure port (no authentication, removed in Kubernetes 1.20):
	// 8080 alone is http-alt.
	{service: service{"kubernetes-api-insecure", "container API", Critical}, ports: []string{"tcp/8080"}, portProcs: []string{"kube-apiserver"}, procOnly: true},
	// YARN's ResourceManager is a JVM [yarn]; 8088 alone is often http-alt.
	{service: service{"hadoop-yarn", "job scheduler", Critical}, ports: []string{"tcp/8088"}, portProcs: []string{"java"}, procOnly: true},

	// Databases and caches [nosql] [docs] [nmap] [ta14].
	{service: service{"redis", "database", Critical}, ports: []string{"tcp/6379"}, procs: []string{"redis-server", "valkey-server", "keydb-server"}},
	{service: service{"redis-sentinel", "database", High}, ports: []string{"tcp/26379"}, procs: []string{"redis-sentinel"}},
	{service: service{"memcached", "cache", Critical}, ports: []string{"tcp/11211", "udp/11211"}, procs: []string{"memcached"}},
	{service: service{"mongodb", "database", Critical}, ports: []string{"tcp/27017-27019"}, procs: []string{"mongod", "mongos"}},
	{service: service{"elasticsearch", "database", Critical}, ports: []string{"tcp/9200", "tcp/9300"}},
	{service: service{"couchdb", "database", Critical}, ports: []string{"tcp/5984"}},
	{service: service{"postgresql", "database", High}, ports: []string{"tcp/5432"}, procs: []string{"postgres", "postmaster"}},
	{service: service{"mysql", "database", High}, ports: []string{"tcp/3306", "tcp/33060"}, procs: []string{"mysqld", "mariadbd"}},
	{service: service{"mssql", "database", High}, ports: []string{"tcp/1433"}, procs: []string{"sqlservr"}},
	{service: service{"oracle", "database", High}, ports: []string{"tcp/1521"}, procs: []string{"tnslsnr"}},
	{service: service{"cassandra", "database", High}, ports: []string{"tcp/9042"}},

	// Message queues and coordination [docs] [nmap].
	{service: service{"rabbitmq", "message queue", High}, ports: []string{"tcp/5671-5672", "tcp/15672", "tcp/25672"}, procs: []string{"rabbitmq-server"}},
	{service: service{"epmd", "name service", Medium}, ports: []string{"tcp/4369"}, procs: []string{"epmd"}},
	{service: service{"kafka", "message queue", High}, ports: []string{"tcp/9092"}},
	{service: service{"zookeeper", "coordination", High}, ports: []string{"tcp/2181"}},
	{service: service{"mqtt", "message queue", Medium}, ports: []string{"tcp/1883", "tcp/8883"}, procs: []string{"mosquitto"}},
	{service: service{"consul", "service discovery", High}, ports: []string{"tcp/8500"}, procs: []string{"consul"}},
	{service: service{"vault", "secrets store", High}, ports: []string{"tcp/8200"}, procs: []string{"vault"}},

	// Remote shells [iana] [nmap]: the r-services trust source ports and
	// hosts files; telnet sends passwords in clear.
	{service: service{"telnet", "remote shell", Critical}, ports: []string{"tcp/23"}, procs: []string{"in.telnetd", "telnetd"}},
	{service: service{"rexec", "remote shell", Critical}, ports: []string{"tcp/512"}, procs: []string{"in.rexecd", "rexecd"}},
	{service: service{"rlogin", "remote shell", Critical}, ports: []string{"tcp/513"}, procs: []string{"in.rlogind", "rlogind"}},
	{service: service{"rsh", "remote shell", Critical}, ports: []string{"tcp/514"}, procs: []string{"in.rshd", "rshd"}},
	// A remote forward (ssh -R with GatewayPorts) listens as sshd before
	// OpenSSH 9.8, and as sshd-session (not in this table) since.
	{service: service{"ssh", "remote shell", Low}, ports: []string{"tcp/22"}, procs: []string{"sshd", "dropbear"}},

	// Remote desktops [iana] [nmap]. X11 without access control lets
	// anyone read the screen and type.
	{service: service{"x11", "remote desktop", Critical}, ports: []string{"tcp/6000-6063"}, procs: []string{"Xorg", "X", "Xvfb"}, portProcs: []string{"Xvnc", "Xtigervnc"}},
	{service: service{"vnc", "remote desktop", High}, ports: []string{"tcp/5900-5903"}, procs: []string{"x11vnc", "wayvnc", "vino-server"}, portProcs: []string{"Xvnc", "Xtigervnc"}},
	{service: service{"rdp", "remote desktop", High}, ports: []string{"tcp/3389", "udp/3389"}, procs: []string{"xrdp"}},
	{service: service{"cockpit", "web console", Medium}, procs: []string{"cockpit-ws"}},

	// File sharing [iana] [nmap] [ta14].
	{service: service{"nfs", "file sharing", Critical}, ports: []string{"tcp/2049", "udp/2049"}, procs: []string{"ganesha.nfsd"}},
	{service: service{"nfs-mountd", "file sharing", High}, ports: []string{"tcp/20048", "udp/20048"}, procs: []string{"rpc.mountd"}},
	{service: service{"rpcbind", "rpc", Critical}, ports: []string{"tcp/111", "udp/111"}, procs: []string{"rpcbind", "portmap"}},
	{service: service{"smb", "file sharing", Critical}, ports: []string{"tcp/139", "tcp/445"}, procs: []string{"smbd"}},
	{service: service{"netbios", "name service", High}, ports: []string{"udp/137-138"}, procs: []string{"nmbd"}},
	{service: service{"tftp", "file sharing", High}, ports: []string{"udp/69"}, procs: []string{"in.tftpd", "tftpd"}},
	{service: service{"rsync", "file sharing", High}, ports: []string{"tcp/873"}, procs: []string{"rsync"}},
	{service: service{"ftp", "file sharing", Medium}, ports: []string{"tcp/21"}, procs: []string{"vsftpd", "proftpd", "pure-ftpd"}},

	// Directory, management and monitoring [iana] [nmap] [ta14] [docs].
	{service: service{"ldap", "directory", High}, ports: []string{"tcp/389", "udp/389", "tcp/636"}, procs: []string{"slapd", "ns-slapd"}},
	{service: service{"snmp", "network management", High}, ports: []string{"udp/161"}, procs: []string{"snmpd"}},
	{service: service{"prometheus", "monitoring", Medium}, ports: []string{"tcp/9090"}, procs: []string{"prometheus"}},
	{service: service{"node-exporter", "monitoring", Medium}, ports: []string{"tcp/9100"}, procs: []string{"node_exporter"}},
	{service: service{"syslog", "logging", Low}, ports: []string{"udp/514"}, procs: []string{"rsyslogd", "syslog-ng", "syslogd"}},

	// Mail [iana] [nmap]: fine on a mail server, a mistake elsewhere.
	// Postfix's listener is "master", too vague to name anything.
	{service: service{"smtp", "mail", Medium}, ports: []string{"tcp/25", "tcp/465", "tcp/587"}, procs: []string{"exim4", "exim", "sendmail", "sendmail-mta", "smtpd"}},
	{service: service{"pop3", "mail", Medium}, ports: []string{"tcp/110", "tcp/995"}, portProcs: []string{"dovecot"}},
	{service: service{"imap", "mail", Medium}, ports: []string{"tcp/143", "tcp/993"}, portProcs: []string{"dovecot"}},

	// DNS and time [iana] [ta14]: open resolvers and NTP amplify.
	{service: service{"dns", "dns", Medium}, ports: []string{"tcp/53", "udp/53"},
		procs:     []string{"named", "unbound", "nsd", "knotd", "pdns_server", "pdns_recursor"},
		portProcs: []string{"dnsmasq", "coredns", "systemd-resolve"}},
	{service: service{"ntp", "time", Low}, ports: []string{"udp/123"}, procs: []string{"ntpd", "chronyd"}},

	// The web [iana] [nmap]. Web servers and proxies forward anything, so
	// their process names are left to the port.
	{service: service{"http", "web", Info}, ports: []string{"tcp/80"}},
	{service: service{"https", "web", Info}, ports: []string{"tcp/443", "udp/443"}},
	{service: service{"http-alt", "web", Info}, ports: []string{"tcp/8080"}},
	{service: service{"https-alt", "web", Info}, ports: []string{"tcp/8443"}},
}

// backdoorRow is one backdoor and its ports.
type backdoorRow struct {
	ports []string
	backdoor
}

// backdoorRows: ports that a legitimate service also commonly uses are
// left out (see the top of the file).
var backdoorRows = []backdoorRow{
	{[]string{"udp/31337", "tcp/31337"}, backdoor{"Back Orifice (elite)"}},                          // [nmap]
	{[]string{"tcp/12345-12346"}, backdoor{"NetBus"}},                                               // [nmap]
	{[]string{"tcp/20034"}, backdoor{"NetBus 2 Pro"}},                                               // [ceh]
	{[]string{"tcp/1243", "tcp/27374", "tcp/16959"}, backdoor{"SubSeven"}},                          // [sub7] [nmap]
	{[]string{"tcp/54320-54321", "udp/54320-54321"}, backdoor{"Back Orifice 2000"}},                 // [nmap] [ceh]
	{[]string{"tcp/14141", "tcp/15151"}, backdoor{"Back Orifice 2000 (BoPeep plugin)"}},             // [nmap]
	{[]string{"tcp/17300"}, backdoor{"Kuang2"}},                                                     // [nmap]
	{[]string{"tcp/7597"}, backdoor{"Qaz"}},                                                         // [sans] [nmap]
	{[]string{"tcp/4444"}, backdoor{"Metasploit shell default (also Blaster's shell)"}},             // [msf] [blaster]
	{[]string{"tcp/5554"}, backdoor{"Sasser (FTP server)"}},                                         // [sasser] [akerman]
	{[]string{"tcp/9996"}, backdoor{"Sasser (remote shell)"}},                                       // [sasser]
	{[]string{"tcp/2745"}, backdoor{"Bagle"}},                                                       // [akerman]
	{[]string{"tcp/3127"}, backdoor{"MyDoom"}},                                                      // [akerman]
	{[]string{"tcp/27665", "udp/27444", "udp/31335"}, backdoor{"Trinoo (DDoS master and daemons)"}}, // [nmap]
	{[]string{"tcp/6666-6667"}, backdoor{"IRC (also botnet command and control)"}},                  // [irc] [iana] [nmap]
}

// listenKey is a protocol and port.
type listenKey struct {
	proto string
	port  uint16
}

// procPort is a process name listening on a protocol and port.
type procPort struct {
	proc string
	at   listenKey
}

// serviceIndex is serviceRows made ready for lookups.
type serviceIndex struct {
	byPort     map[listenKey]service
	byProc     map[string]service
	byProcPort map[procPort]service
}

var (
	serviceIdx  = mustIndex(indexServices(serviceRows))
	backdoorIdx = mustIndex(indexBackdoors(backdoorRows))
)

// mustIndex stops the program on a malformed table: the tests catch it.
func mustIndex[T any](v T, err error) T {
	if err != nil {
		panic("report: " + err.Error())
	}
	return v
}

// indexServices indexes rows; a port, process, or process and port claimed
// twice is an error.
func indexServices(rows []serviceRow) (*serviceIndex, error) {
	idx := &serviceIndex{map[listenKey]service{}, map[string]service{}, map[procPort]service{}}
	for _, r := range rows {
		keys, err := parsePortSpecs(r.ports)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", r.Name, err)
		}
		for _, k := range keys {
			if !r.procOnly {
				if err := claim(idx.byPort, k, r.service); err != nil {
					return nil, err
				}
			}
			for _, p := range r.portProcs {
				if err := claim(idx.byProcPort, procPort{p, k}, r.service); err != nil {
					return nil, err
				}
			}
		}
		for _, p := range r.procs {
			if err := claim(idx.byProc, p, r.service); err != nil {
				return nil, err
			}
		}
	}
	return idx, nil
}

// indexBackdoors indexes the backdoor rows; a port claimed twice is an
// error.
func indexBackdoors(rows []backdoorRow) (map[listenKey]backdoor, error) {
	idx := map[listenKey]backdoor{}
	for _, r := range rows {
		keys, err := parsePortSpecs(r.ports)
		if err != nil {
			return nil, fmt.Errorf("backdoor %s: %w", r.Name, err)
		}
		for _, k := range keys {
			if err := claim(idx, k, r.backdoor); err != nil {
				return nil, err
			}
		}
	}
	return idx, nil
}

// claim sets m[k] = v unless k is taken.
func claim[K comparable, V any](m map[K]V, k K, v V) error {
	if old, taken := m[k]; taken {
		return fmt.Errorf("%v claimed by both %v and %v", k, old, v)
	}
	m[k] = v
	return nil
}

// parsePortSpecs expands specs like "tcp/22" and "udp/137-138".
func parsePortSpecs(specs []string) ([]listenKey, error) {
	var keys []listenKey
	for _, spec := range specs {
		proto, lo, hi, err := parsePortSpec(spec)
		if err != nil {
			return nil, err
		}
		for p := int(lo); p <= int(hi); p++ {
			keys = append(keys, listenKey{proto, uint16(p)})
		}
	}
	return keys, nil
}

// parsePortSpec reads "tcp/22" or "udp/137-138".
func parsePortSpec(spec string) (proto string, lo, hi uint16, err error) {
	proto, ports, ok := strings.Cut(spec, "/")
	if !ok || (proto != "tcp" && proto != "udp") {
		return "", 0, 0, fmt.Errorf("port %q: want tcp/N or udp/N", spec)
	}
	first, last, isRange := strings.Cut(ports, "-")
	if !isRange {
		last = first
	}
	l, err1 := strconv.ParseUint(first, 10, 16)
	h, err2 := strconv.ParseUint(last, 10, 16)
	if err1 != nil || err2 != nil || l == 0 || h < l {
		return "", 0, 0, fmt.Errorf("port %q: want a port or a rising range in 1-65535", spec)
	}
	return proto, uint16(l), uint16(h), nil
}
