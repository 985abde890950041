package nft

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/perimeter-dev/perimeter/rules"
)

// FuzzParseJSON feeds the JSON reader arbitrary documents: it must never
// panic, and what it accepts must be a model the evaluator can walk.
func FuzzParseJSON(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/json/*.json")
	corpus, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	for _, p := range append(seeds, corpus...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"nftables":[{"table":{"family":"inet","name":"t"}},{"chain":{"family":"inet","table":"t","name":"c","hook":"input","prio":0,"policy":"drop","type":"filter"}},{"rule":{"family":"inet","table":"t","chain":"c","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":{"set":[22,{"range":[80,90]}]}}},{"accept":null}]}}]}`))
	f.Add([]byte(`{"nftables":[{"table":{"family":"ip","name":"t"}},{"chain":{"family":"ip","table":"t","name":"a"}},{"chain":{"family":"ip","table":"t","name":"b"}},{"rule":{"family":"ip","table":"t","chain":"a","expr":[{"jump":{"target":"b"}}]}},{"rule":{"family":"ip","table":"t","chain":"b","expr":[{"goto":{"target":"a"}}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseJSON(bytes.NewReader(data), Options{})
		if err != nil {
			if msg := err.Error(); len(msg) > 1000 || strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) {
				t.Fatalf("error not one short printable line: %.300q", msg)
			}
			return
		}
		for _, p := range fuzzPackets {
			rs.Evaluate(p, fuzzEnv)
		}
	})
}

var (
	fuzzEnv     = &rules.Env{Local: []netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")}}
	fuzzPackets = []rules.Packet{
		{Family: rules.FamilyIPv4, Proto: rules.ProtoTCP, Src: netip.MustParseAddr("198.18.0.2"), Dst: netip.MustParseAddr("198.18.0.1"), Dport: 22, InIface: "eth0"},
		{Family: rules.FamilyIPv6, Proto: rules.ProtoUDP, Src: netip.MustParseAddr("2001:db8::2"), Dst: netip.MustParseAddr("2001:db8::1"), Dport: 53, InIface: "eth0"},
	}
)
