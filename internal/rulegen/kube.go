package rulegen

import (
	"bufio"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"net/netip"
)

// Kube shapes a kube-proxy ruleset: Services services, each with a
// ClusterIP, a NodePort and Endpoints endpoints. Every UDPEvery-th service
// is UDP (0: none). Addresses come from 198.18.0.0/15, so the ruleset can
// be loaded into a test namespace and probed.
type Kube struct {
	Services  int
	Endpoints int
	UDPEvery  int
}

// Address plan, all inside 198.18.0.0/15: pods in 198.19.0.0/17, service
// ClusterIPs in 198.19.128.0/17.
var (
	podBase     = netip.MustParseAddr("198.19.0.0")
	serviceBase = netip.MustParseAddr("198.19.128.0")
)

// PodCIDR is the cluster's pod network.
const PodCIDR = "198.19.0.0/17"

// FirstNodePort is where NodePorts start, as kube-proxy's default range.
const FirstNodePort = 30000

// service is one generated service.
type service struct {
	name      string
	proto     string
	clusterIP netip.Addr
	port      int
	nodePort  int
	endpoints []netip.Addr
	target    int
}

// WriteIPTablesSave writes the ruleset as iptables-save prints it.
func (k Kube) WriteIPTablesSave(w io.Writer) error {
	bw := bufio.NewWriter(w)
	svcs := k.services()
	writeFilter(bw)
	writeNAT(bw, svcs)
	return bw.Flush()
}

func (k Kube) services() []service {
	eps := max(k.Endpoints, 1)
	out := make([]service, k.Services)
	for i := range out {
		s := service{name: fmt.Sprintf("ns%d/svc%d:http", i%50, i), proto: "tcp",
			clusterIP: addrPlus(serviceBase, i+1), port: 80 + i%4*363, nodePort: FirstNodePort + i, target: 8080}
		if k.UDPEvery > 0 && i%k.UDPEvery == k.UDPEvery-1 {
			s.proto, s.port, s.target = "udp", 53, 5353
		}
		for e := range eps {
			s.endpoints = append(s.endpoints, addrPlus(podBase, i*eps+e+1))
		}
		out[i] = s
	}
	return out
}

func addrPlus(base netip.Addr, n int) netip.Addr {
	b := base.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// chainName is kube-proxy's: a prefix and the first 16 characters of the
// base32 SHA-256 of what the chain stands for.
func chainName(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:16]
}

// writeFilter is kube-proxy's filter table behind a host firewall that
// accepts SSH, the kubelet and established traffic, logs the rest and
// drops it.
func writeFilter(w io.Writer) {
	fmt.Fprint(w, `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s 198.18.0.0/16 -p tcp -m tcp --dport 10250 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
-A INPUT -m limit --limit 5/min -j LOG --log-prefix "host-drop: "
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`)
}

// writeNAT is the nat table: every service's ClusterIP rule in
// KUBE-SERVICES, its NodePort in KUBE-NODEPORTS, and its chains.
func writeNAT(w io.Writer, svcs []service) {
	fmt.Fprint(w, `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
`)
	for _, s := range svcs {
		fmt.Fprintf(w, ":%s - [0:0]\n:%s - [0:0]\n", svcChain(s), extChain(s))
		for _, ep := range s.endpoints {
			fmt.Fprintf(w, ":%s - [0:0]\n", sepChain(s, ep))
		}
	}
	fmt.Fprint(w, `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
`)
	for _, s := range svcs {
		fmt.Fprintf(w, "-A KUBE-NODEPORTS -p %s -m comment --comment %q -m %s --dport %d -j %s\n", s.proto, s.name, s.proto, s.nodePort, extChain(s))
	}
	for _, s := range svcs {
		fmt.Fprintf(w, "-A KUBE-SERVICES -d %s/32 -p %s -m comment --comment \"%s cluster IP\" -m %s --dport %d -j %s\n",
			s.clusterIP, s.proto, s.name, s.proto, s.port, svcChain(s))
	}
	fmt.Fprint(w, "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n")
	for _, s := range svcs {
		writeService(w, s)
	}
	fmt.Fprint(w, "COMMIT\n")
}

// writeService writes one service's chains: the external chain marks for
// masquerade, the service chain picks an endpoint at random, and each
// endpoint chain DNATs to its pod.
func writeService(w io.Writer, s service) {
	fmt.Fprintf(w, "-A %s -m comment --comment \"masquerade traffic for %s external destinations\" -j KUBE-MARK-MASQ\n", extChain(s), s.name)
	fmt.Fprintf(w, "-A %s -j %s\n", extChain(s), svcChain(s))
	fmt.Fprintf(w, "-A %s ! -s %s -d %s/32 -p %s -m comment --comment \"%s cluster IP\" -m %s --dport %d -j KUBE-MARK-MASQ\n",
		svcChain(s), PodCIDR, s.clusterIP, s.proto, s.name, s.proto, s.port)
	for i, ep := range s.endpoints {
		stat := ""
		if left := len(s.endpoints) - i; left > 1 {
			stat = fmt.Sprintf(" -m statistic --mode random --probability %.11f", 1/float64(left))
		}
		fmt.Fprintf(w, "-A %s -m comment --comment \"%s -> %s:%d\"%s -j %s\n", svcChain(s), s.name, ep, s.target, stat, sepChain(s, ep))
	}
	for _, ep := range s.endpoints {
		fmt.Fprintf(w, "-A %s -s %s/32 -m comment --comment %q -j KUBE-MARK-MASQ\n", sepChain(s, ep), ep, s.name)
		fmt.Fprintf(w, "-A %s -p %s -m comment --comment %q -m %s -j DNAT --to-destination %s:%d\n", sepChain(s, ep), s.proto, s.name, s.proto, ep, s.target)
	}
}

func svcChain(s service) string { return chainName("KUBE-SVC-", s.name+s.proto) }
func extChain(s service) string { return chainName("KUBE-EXT-", s.name+s.proto) }
func sepChain(s service, ep netip.Addr) string {
	return chainName("KUBE-SEP-", s.name+s.proto+ep.String())
}
