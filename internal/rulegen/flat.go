package rulegen

import (
	"bufio"
	"fmt"
	"io"
)

// WriteOnePortEach writes an iptables-save filter table of n rules in
// INPUT, each accepting TCP to one port of its own, behind a DROP policy: the worst case for a class-by-class evaluator,
// whose classes grow with the rules.
func WriteOnePortEach(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
	fmt.Fprint(bw, "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n")
	for i := range n {
		fmt.Fprintf(bw, "-A INPUT -p tcp -m tcp --dport %d -j ACCEPT\n", 1+i%65535)
	}
	fmt.Fprint(bw, "COMMIT\n")
	return bw.Flush()
}
