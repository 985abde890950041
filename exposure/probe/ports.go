package probe

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParsePorts reads a port list for proto ("tcp" or "udp"): comma-separated
// ports and ranges ("22,80,8000-8100"), "all" (1-65535) and "top" (the
// commonly exposed ports of TopTCP or TopUDP), in any mix. The result is
// sorted and without duplicates.
func ParsePorts(spec, proto string) ([]uint16, error) {
	seen := make([]bool, 65536)
	for part := range strings.SplitSeq(spec, ",") {
		lo, hi, err := parseRange(strings.TrimSpace(part), proto, seen)
		if err != nil {
			return nil, fmt.Errorf("ports %q: %w", spec, err)
		}
		for p := lo; p != 0 && p <= hi; p++ {
			seen[p] = true
			if p == 65535 {
				break
			}
		}
	}
	var out []uint16
	for p := 1; p < len(seen); p++ {
		if seen[p] {
			out = append(out, uint16(p))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ports %q: no port", spec)
	}
	return out, nil
}

// parseRange reads one item; "top" marks its ports in seen itself.
func parseRange(s, proto string, seen []bool) (uint16, uint16, error) {
	switch s {
	case "all":
		return 1, 65535, nil
	case "top":
		for _, p := range TopPorts(proto) {
			seen[p] = true
		}
		return 0, 0, nil
	case "":
		return 0, 0, fmt.Errorf("empty item")
	}
	a, b, isRange := strings.Cut(s, "-")
	lo, err := parsePort(a)
	if err != nil || !isRange {
		return lo, lo, err
	}
	hi, err := parsePort(b)
	if err == nil && hi < lo {
		err = fmt.Errorf("range %s: end before start", s)
	}
	return lo, hi, err
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is no port (1-65535)", s)
	}
	return uint16(n), nil
}

// TopPorts returns the commonly exposed ports of proto.
func TopPorts(proto string) []uint16 {
	if proto == "udp" {
		return slices.Clone(TopUDP)
	}
	return slices.Clone(TopTCP)
}

// TopTCP are about a hundred TCP ports where services commonly listen:
// remote access, mail, web, file sharing, databases, message queues,
// container and cluster control planes, monitoring.
var TopTCP = []uint16{
	7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 88, 106, 110, 111, 113,
	119, 135, 139, 143, 179, 199, 389, 427, 443, 444, 445, 465, 513, 514, 515,
	543, 544, 548, 554, 587, 631, 636, 646, 873, 990, 993, 995, 1025, 1080,
	1194, 1433, 1521, 1723, 1883, 2049, 2121, 2181, 2375, 2376, 2379, 2380,
	3000, 3128, 3268, 3306, 3389, 4369, 4443, 5000, 5060, 5432, 5601, 5672,
	5900, 5984, 6000, 6379, 6443, 6667, 7001, 8000, 8008, 8080, 8081, 8086,
	8088, 8443, 8888, 9000, 9042, 9090, 9092, 9100, 9200, 9300, 9418, 10000,
	10250, 11211, 15672, 25565, 27017, 50000,
}

// TopUDP are UDP ports where services commonly listen.
var TopUDP = []uint16{
	53, 67, 68, 69, 88, 111, 123, 135, 137, 138, 161, 162, 389, 443, 500,
	514, 520, 623, 1194, 1434, 1701, 1812, 1813, 1900, 2049, 3478, 3702,
	4500, 4789, 5060, 5353, 5355, 5683, 8472, 10161, 11211, 27015, 51820,
}
