package probe

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// readLimits reads them inside the prober's namespace (/proc/sys/net
// follows the thread).
func readLimits(ns Netns) limits {
	var l limits
	ns(func() error {
		if lo, hi, ok := readPair("/proc/sys/net/ipv4/ip_local_port_range"); ok && hi >= lo {
			l.ephemeral = hi - lo + 1
		}
		return nil
	})
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil {
		if open, err := os.ReadDir("/proc/self/fd"); err == nil {
			l.files = max(0, int(min(rl.Cur, 1<<30))-len(open))
		}
	}
	return l
}

// conntrackReader reads the prober's conntrack entries and their limit
// (the count is the namespace's, the limit the host's); not ok without
// conntrack, which newCTBudget takes for no budget.
func conntrackReader(ns Netns) func() (count, limit int, ok bool) {
	return func() (count, limit int, ok bool) {
		ns(func() error {
			var ok1, ok2 bool
			count, ok1 = readInt("/proc/sys/net/netfilter/nf_conntrack_count")
			limit, ok2 = readInt("/proc/sys/net/netfilter/nf_conntrack_max")
			ok = ok1 && ok2
			return nil
		})
		return count, limit, ok
	}
}

func readInt(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}

func readPair(path string) (int, int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(f[0])
	c, err2 := strconv.Atoi(f[1])
	return a, c, err1 == nil && err2 == nil
}
