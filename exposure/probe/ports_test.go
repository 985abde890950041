package probe

import (
	"slices"
	"testing"
)

func TestParsePorts(t *testing.T) {
	for _, tc := range []struct {
		spec string
		n    int
		has  []uint16
	}{
		{"22", 1, []uint16{22}},
		{"80,22,22", 2, []uint16{22, 80}},
		{"1000-1009, 22", 11, []uint16{22, 1000, 1009}},
		{"all", 65535, []uint16{1, 65535}},
		{"65530-65535", 6, []uint16{65535}},
		{"top", len(TopTCP), []uint16{22, 443}},
		{"top,60000", len(TopTCP) + 1, []uint16{60000}},
	} {
		got, err := ParsePorts(tc.spec, "tcp")
		if err != nil || len(got) != tc.n || !slices.IsSorted(got) {
			t.Errorf("%q: %d ports, %v", tc.spec, len(got), err)
			continue
		}
		for _, p := range tc.has {
			if _, ok := slices.BinarySearch(got, p); !ok {
				t.Errorf("%q: %d missing", tc.spec, p)
			}
		}
	}
	for _, bad := range []string{"", "0", "65536", "10-5", "a", "1,,2", "-5", "1-"} {
		if _, err := ParsePorts(bad, "tcp"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if udp, _ := ParsePorts("top", "udp"); len(udp) != len(TopUDP) {
		t.Errorf("top udp: %d ports", len(udp))
	}
}

func TestTopListsSortedUnique(t *testing.T) {
	for _, l := range [][]uint16{TopTCP, TopUDP} {
		if !slices.IsSorted(l) || len(slices.Compact(slices.Clone(l))) != len(l) {
			t.Errorf("list not sorted or has duplicates: %v", l)
		}
	}
}
