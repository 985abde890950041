package probe

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// rateLimitCounters are the kernel's counts of ICMP errors it held back:
// Icmp OutRateLimitGlobal (shared by IPv4 and IPv6) and OutRateLimitHost
// in /proc/net/snmp, Icmp6OutRateLimitHost in /proc/net/snmp6.
var rateLimitCounters = []string{"Icmp:OutRateLimitGlobal", "Icmp:OutRateLimitHost", "Icmp6OutRateLimitHost"}

// parseSNMP reads /proc/net/snmp (a header line then a value line per
// protocol) and /proc/net/snmp6 (one "name value" per line) into
// "Proto:Name" and "Name" keys.
func parseSNMP(r io.Reader) (map[string]uint64, error) {
	out := map[string]uint64{}
	var header []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && !strings.HasSuffix(f[0], ":"):
			if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				out[f[0]] = v
			}
		case len(f) > 1 && header != nil && header[0] == f[0]:
			addRow(out, header, f)
			header = nil
		case len(f) > 1:
			header = f
		}
	}
	return out, sc.Err()
}

func addRow(out map[string]uint64, names, values []string) {
	proto := strings.TrimSuffix(names[0], ":")
	for i := 1; i < len(names) && i < len(values); i++ {
		if v, err := strconv.ParseUint(values[i], 10, 64); err == nil {
			out[proto+":"+names[i]] = v
		}
	}
}

// sumRateLimited adds the rate-limit counters that exist; none at all is
// an error (a kernel too old to count).
func sumRateLimited(m map[string]uint64) (uint64, error) {
	var n uint64
	found := false
	for _, k := range rateLimitCounters {
		if v, ok := m[k]; ok {
			n, found = n+v, true
		}
	}
	if !found {
		return 0, fmt.Errorf("read icmp counters: no OutRateLimit counters")
	}
	return n, nil
}
