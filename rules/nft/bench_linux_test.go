//go:build linux

package nft

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/perimeter-dev/perimeter/rules"
)

// BenchmarkReadAndPredict10k reads a generated ruleset of 10,000 rules
// with sets from a namespace over netlink (rule texts from nft included),
// then predicts every TCP and UDP port for IPv4 and IPv6.
func BenchmarkReadAndPredict10k(b *testing.B) {
	text := genRuleset(10000)
	fd := loadScratch(b, text)
	defer unix.Close(fd)
	for _, nft := range []bool{true, false} {
		b.Run(fmt.Sprintf("nft-texts=%v", nft), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				readAndPredict(b, Options{NetNSFd: fd, NoText: !nft})
			}
		})
	}
}

func readAndPredict(b *testing.B, opts Options) {
	rs, err := ReadLive(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	if n := rs.NumRules(); n < 10000 {
		b.Fatalf("read %d rules", n)
	}
	for _, q := range agreeQueries {
		rs.Predict(agreeEnv, q)
	}
}

// loadScratch loads nft text into a scratch namespace that outlives the
// call: the returned descriptor keeps it.
func loadScratch(b *testing.B, text string) int {
	b.Helper()
	fd := -1
	err := InScratchNetNS(func() error {
		if _, err := nftCommand(context.Background(), "", []byte(text), "-f", "-"); err != nil {
			return err
		}
		var err error
		fd, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		if os.Getenv("CI") == "" {
			b.Skip(err)
		}
		b.Fatal(err)
	}
	return fd
}

// genRuleset writes a ruleset of about n rules as a host with many
// clients has them: the input chain sends each client /24 to its own
// chain (a verdict map), where rules accept services by port, by
// anonymous and named sets, concatenations and ranges; a few rules log,
// limit and reject. Ports come from a pool of 400, as real services do.
func genRuleset(n int) string {
	const chains = 100
	per := (n + chains - 1) / chains
	var s strings.Builder
	s.WriteString("table inet bench {\n")
	for i := range 20 {
		fmt.Fprintf(&s, "\tset blocked%d { type ipv4_addr; flags interval; elements = { ", i)
		for j := range 50 {
			if j > 0 {
				s.WriteString(", ")
			}
			fmt.Fprintf(&s, "198.19.%d.%d/32", i, j*4)
		}
		s.WriteString(" } }\n")
	}
	s.WriteString("\tset svc { type ipv4_addr . inet_proto . inet_service; elements = { ")
	for j := range 200 {
		if j > 0 {
			s.WriteString(", ")
		}
		fmt.Fprintf(&s, "198.18.0.1 . tcp . %d", port(j))
	}
	s.WriteString(" } }\n")
	s.WriteString("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n")
	s.WriteString("\t\tct state vmap { established : accept, related : accept, invalid : drop }\n")
	s.WriteString("\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n")
	s.WriteString("\t\tip saddr @blocked0 drop\n")
	s.WriteString("\t\tip daddr . meta l4proto . th dport @svc accept\n")
	s.WriteString("\t\tip saddr & 255.255.255.0 vmap { ")
	for c := range chains {
		if c > 0 {
			s.WriteString(", ")
		}
		fmt.Fprintf(&s, "198.18.%d.0 : jump client%d", c, c)
	}
	s.WriteString(" }\n")
	s.WriteString("\t\tip6 saddr 2001:db8::/64 jump client0\n")
	s.WriteString("\t\tlimit rate 10/minute log prefix \"drop: \"\n")
	s.WriteString("\t\treject with icmpx admin-prohibited\n\t}\n")
	for c := range chains {
		fmt.Fprintf(&s, "\tchain client%d {\n", c)
		for r := range per {
			k := c*per + r
			switch r % 8 {
			case 0:
				fmt.Fprintf(&s, "\t\ttcp dport { %d, %d, %d } accept\n", port(k), port(k+1), port(k+2))
			case 1:
				fmt.Fprintf(&s, "\t\tip saddr 198.18.%d.%d udp dport %d accept\n", c, r%250+1, port(k))
			case 2:
				fmt.Fprintf(&s, "\t\tip saddr @blocked%d tcp dport %d drop\n", k%20, port(k))
			case 3:
				fmt.Fprintf(&s, "\t\ttcp dport %d-%d ct state new accept\n", port(k), port(k)+5)
			case 4:
				fmt.Fprintf(&s, "\t\tip saddr . tcp dport { 198.18.%d.%d . %d, 198.18.%d.%d . %d } accept\n", c, r%250, port(k), c, r%250+1, port(k+7))
			case 5:
				fmt.Fprintf(&s, "\t\tudp dport %d limit rate 5/second accept\n", port(k))
			case 6:
				fmt.Fprintf(&s, "\t\ttcp dport %d log prefix \"c%d \" reject with tcp reset\n", port(k), c)
			default:
				fmt.Fprintf(&s, "\t\tip6 saddr 2001:db8::%x tcp dport %d accept\n", r+1, port(k))
			}
		}
		s.WriteString("\t}\n")
	}
	s.WriteString("}\n")
	return s.String()
}

// port picks a service port from a pool of 400.
func port(k int) int { return 1024 + (k*37)%400*13 }

// TestGenRulesetLoads guards the benchmark's generator.
func TestGenRulesetLoads(t *testing.T) {
	needRoot(t)
	rs, err := ReadText(context.Background(), strings.NewReader(genRuleset(1000)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := rs.NumRules(); n < 990 {
		t.Errorf("read %d rules", n)
	}
	if rs.Table(rules.FamilyInet, "bench") == nil {
		t.Error("no bench table")
	}
}
