package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"

	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
)

// sourceOptions say where rules come from: files, or the live host when
// no file is named.
type sourceOptions struct {
	iptablesSave  []string
	ip6tablesSave []string
	ipsets        []string
}

func (o *sourceOptions) fromFiles() bool {
	return len(o.iptablesSave)+len(o.ip6tablesSave) > 0
}

// load reads the ruleset. File problems are usage errors (exit 2); a host
// that cannot be read is a host error (exit 3).
func (o *sourceOptions) load(ctx context.Context) (*rules.Ruleset, error) {
	if !o.fromFiles() && len(o.ipsets) > 0 {
		return nil, badInput("--ipset goes with --iptables-save or --ip6tables-save: the live read lists the host's ipsets itself")
	}
	sets, err := o.loadIPSets()
	if err != nil {
		return nil, err
	}
	if !o.fromFiles() {
		rs, err := ipt.ReadLive(ctx)
		if err != nil {
			return nil, hostError{fmt.Errorf("read live rules: %w", err)}
		}
		return rs, nil
	}
	rs := &rules.Ruleset{}
	for _, f := range o.files() {
		part, err := parseFile(f.path, ipt.Options{Family: f.family, Source: f.path, Backend: rules.BackendIptablesFile, IPSets: sets})
		if err != nil {
			return nil, err
		}
		rs.Merge(part)
	}
	return rs, nil
}

type ruleFile struct {
	path   string
	family rules.Family
}

func (o *sourceOptions) files() []ruleFile {
	var out []ruleFile
	for _, p := range o.iptablesSave {
		out = append(out, ruleFile{p, rules.FamilyIPv4})
	}
	for _, p := range o.ip6tablesSave {
		out = append(out, ruleFile{p, rules.FamilyIPv6})
	}
	return out
}

func parseFile(path string, opts ipt.Options) (*rules.Ruleset, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rs, err := ipt.Parse(f, opts)
	if err != nil {
		return nil, usageError{err}
	}
	return rs, nil
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
