package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"

	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
	"github.com/perimeter-dev/perimeter/rules/nft"
)

// sourceOptions say where rules come from: files, or the live host when
// no file is named.
type sourceOptions struct {
	iptablesSave  []string
	ip6tablesSave []string
	nftJSON       []string
	nftText       []string
	ipsets        []string
}

func (o *sourceOptions) fromFiles() bool {
	return len(o.iptablesSave)+len(o.ip6tablesSave)+len(o.nftJSON)+len(o.nftText) > 0
}

// load reads the ruleset. File problems are usage errors (exit 2); a host
// that cannot be read is a host error (exit 3).
func (o *sourceOptions) load(ctx context.Context) (*rules.Ruleset, error) {
	if !o.fromFiles() {
		if len(o.ipsets) > 0 {
			return nil, badInput("--ipset goes with rule files: the live read lists the host's ipsets itself")
		}
		return loadLive(ctx)
	}
	rs := &rules.Ruleset{}
	for _, read := range []func(context.Context, *rules.Ruleset) error{o.loadIptables, o.loadNftJSON, o.loadNftText} {
		if err := read(ctx, rs); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// loadLive reads both iptables backends and the nftables ruleset. A table
// iptables-nft made and shows faithfully is read by the iptables reader
// only; any other table, also one iptables-nft prints although native
// rules share it (it can print those wrongly), by the nft reader only. So
// no rule counts twice.
func loadLive(ctx context.Context) (*rules.Ruleset, error) {
	rs, err := ipt.ReadLive(ctx)
	switch {
	case errors.Is(err, ipt.ErrNotInstalled):
		rs = &rules.Ruleset{Notes: []string{"no iptables tools installed: read the nftables ruleset only"}}
	case err != nil:
		return nil, hostError{fmt.Errorf("read live rules: %w", err)}
	}
	nrs, err := nft.ReadLive(ctx, nft.Options{NetNSFd: -1, SkipIptablesNft: true})
	if err != nil {
		return nil, hostError{fmt.Errorf("read live nftables rules: %w", err)}
	}
	rs.Tables = slices.DeleteFunc(rs.Tables, func(t *rules.Table) bool {
		return t.Backend == rules.BackendIptablesNft && nrs.Table(t.Family, t.Name) != nil
	})
	rs.Merge(nrs)
	return rs, nil
}

// loadIptables reads the iptables-save files of each family in order, as
// iptables-restore --noflush would load them one after another.
func (o *sourceOptions) loadIptables(_ context.Context, rs *rules.Ruleset) error {
	sets, err := o.loadIPSets()
	if err != nil {
		return err
	}
	for fam, paths := range map[rules.Family][]string{rules.FamilyIPv4: o.iptablesSave, rules.FamilyIPv6: o.ip6tablesSave} {
		if len(paths) == 0 {
			continue
		}
		part, err := parseIptables(paths, ipt.Options{Family: fam, Backend: rules.BackendIptablesFile, IPSets: sets})
		if err != nil {
			return err
		}
		rs.Merge(part)
	}
	return nil
}

func parseIptables(paths []string, opts ipt.Options) (*rules.Ruleset, error) {
	var inputs []ipt.Input
	for _, p := range paths {
		f, err := openInput(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		inputs = append(inputs, ipt.Input{Name: p, R: f})
	}
	rs, err := ipt.ParseMany(opts, inputs...)
	if err != nil {
		return nil, usageError{err}
	}
	return rs, nil
}

func (o *sourceOptions) loadNftJSON(_ context.Context, rs *rules.Ruleset) error {
	for _, p := range o.nftJSON {
		f, err := openInput(p)
		if err != nil {
			return err
		}
		part, err := nft.ParseJSON(f, nft.Options{Source: p})
		f.Close()
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", p, err)}
		}
		rs.Merge(part)
	}
	return nil
}

// loadNftText loads nft text into a scratch network namespace with the
// real nft and reads it back: only the kernel parses nft's language
// exactly. That needs root; without it the host "cannot be read" (exit 3).
func (o *sourceOptions) loadNftText(ctx context.Context, rs *rules.Ruleset) error {
	for _, p := range o.nftText {
		f, err := openInput(p)
		if err != nil {
			return err
		}
		part, err := nft.ReadText(ctx, f, nft.Options{Source: p})
		f.Close()
		switch {
		case errors.Is(err, nft.ErrPermission):
			return hostError{fmt.Errorf("%s: %w", p, err)}
		case err != nil:
			return usageError{fmt.Errorf("%s: %w", p, err)}
		}
		rs.Merge(part)
	}
	return nil
}

func (o *sourceOptions) loadIPSets() (ipt.IPSets, error) {
	var all ipt.IPSets
	for _, path := range o.ipsets {
		f, err := openInput(path)
		if err != nil {
			return nil, err
		}
		sets, err := ipt.ParseIPSets(f)
		f.Close()
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: %w", path, err)}
		}
		if all == nil {
			all = ipt.IPSets{}
		}
		maps.Copy(all, sets)
	}
	return all, nil
}

func openInput(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, badInput("open %s: no such file", path)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("open %s: %w", path, err)}
	}
	return f, nil
}
