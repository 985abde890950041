package probe

import (
	"errors"
	"io/fs"
	"os"
)

// readRateLimited sums the ICMP rate-limit counters of the calling
// thread's network namespace (/proc/thread-self/net: /proc/net shows the
// main thread's namespace).
func readRateLimited() (uint64, error) {
	all := map[string]uint64{}
	for _, name := range []string{"snmp", "snmp6"} {
		f, err := os.Open("/proc/thread-self/net/" + name)
		if errors.Is(err, fs.ErrNotExist) && name == "snmp6" {
			continue // no IPv6
		}
		if err != nil {
			return 0, err
		}
		m, err := parseSNMP(f)
		f.Close()
		if err != nil {
			return 0, err
		}
		for k, v := range m {
			all[k] = v
		}
	}
	return sumRateLimited(all)
}

// targetCounters reads the target's counters through ns; nil without ns.
func targetCounters(ns Netns) func() (uint64, error) {
	if ns == nil {
		return nil
	}
	return func() (n uint64, err error) {
		err = ns(func() (e error) {
			n, e = readRateLimited()
			return e
		})
		return n, err
	}
}
