//go:build linux

package ipt

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreos/go-iptables/iptables"

	"github.com/perimeter-dev/perimeter/rules"
)

// benchRulesets are the largest corpus rulesets: 2,807 rules in 65
// chains, and 8,453 rules in 8.
var benchRulesets = []string{"tum-i8-chair-fw-2013-10-20.v4", "gfw-list-ssredir-2021.v4"}

// BenchmarkReadLive times the live read of a large ruleset loaded into a
// scratch namespace (iptables-nft backend). table, chain and save read
// the IPv4 iptables-nft tables only: table by the method ReadLive uses
// (one `iptables -S` per table), chain by go-iptables' documented calls
// (ListChains, then List per chain), save with iptables-nft-save (which
// no go-iptables call runs). ReadLive is the whole read, both families
// and both backends; parse is the parse alone, from memory.
func BenchmarkReadLive(b *testing.B) {
	for _, name := range benchRulesets {
		path := filepath.Join(corpusDir, name)
		if !exists(path) {
			b.Skip("no corpus")
		}
		b.Run(strings.TrimSuffix(name, ".v4"), func(b *testing.B) {
			scratchNetns(b, "perim-ipt-bench", [2]string{"iptables-nft-restore", path})
			b.Run("table", func(b *testing.B) {
				inNetns(b, "perim-ipt-bench", func() { benchLoop(b, readPerTable) })
			})
			b.Run("chain", func(b *testing.B) {
				inNetns(b, "perim-ipt-bench", func() { benchLoop(b, readPerChain) })
			})
			b.Run("save", func(b *testing.B) {
				inNetns(b, "perim-ipt-bench", func() { benchLoop(b, readSave) })
			})
			b.Run("ReadLive", func(b *testing.B) {
				inNetns(b, "perim-ipt-bench", func() {
					benchLoop(b, func() error { _, err := ReadLive(context.Background()); return err })
				})
			})
			b.Run("parse", func(b *testing.B) {
				data, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				benchLoop(b, func() error { _, err := Parse(bytes.NewReader(data), Options{}); return err })
			})
		})
	}
}

func benchLoop(b *testing.B, read func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := read(); err != nil {
			b.Error(err)
			return
		}
	}
}

// readPerTable reads the IPv4 nft tables as ReadLive does.
func readPerTable() error {
	ipt, err := iptables.New(iptables.Path("iptables-nft"))
	if err != nil {
		return err
	}
	src := source{rules.BackendIptablesNft, rules.FamilyIPv4, ipt, tableNames}
	_, err = readSources(context.Background(), []source{src}, nil)
	return err
}

// readPerChain reads the IPv4 nft tables with go-iptables' documented
// calls: ListChains (which runs `iptables -S` and keeps the chain
// names), then List for each chain.
func readPerChain() error {
	ipt, err := iptables.New(iptables.Path("iptables-nft"))
	if err != nil {
		return err
	}
	for _, table := range tableNames {
		chains, err := ipt.ListChains(table)
		if err != nil {
			return err
		}
		var lines []string
		for _, c := range chains {
			l, err := ipt.List(table, c)
			if err != nil {
				return err
			}
			lines = append(lines, l...)
		}
		if _, err := ParseRules(strings.NewReader(strings.Join(lines, "\n")), table, Options{Source: "live", Backend: rules.BackendIptablesNft}); err != nil {
			return err
		}
	}
	return nil
}

// readSave reads the IPv4 nft tables with iptables-nft-save.
func readSave() error {
	out, err := exec.Command("iptables-nft-save").Output()
	if err != nil {
		return err
	}
	_, err = Parse(bytes.NewReader(out), Options{Source: "live", Backend: rules.BackendIptablesNft})
	return err
}
