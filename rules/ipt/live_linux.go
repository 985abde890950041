//go:build linux

package ipt

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"github.com/coreos/go-iptables/iptables"

	"github.com/perimeter-dev/perimeter/internal/child"
	"github.com/perimeter-dev/perimeter/rules"
)

// ReadLive reads the rules the kernel holds in the current network
// namespace: IPv4 and IPv6, from iptables-nft and from iptables-legacy,
// each where it holds anything. It only lists, never changes, and never
// touches a legacy table the kernel does not already have (listing one
// would create it). Tables with nothing but accepting built-in chains
// are left out. Sets that rules name are read with `ipset save` when
// the tool is there.
//
// Errors wrap ErrPermission when not run as root, ErrNotInstalled when
// no iptables tool is found.
func ReadLive(ctx context.Context) (*rules.Ruleset, error) {
	srcs, notes, err := liveSources()
	if err != nil {
		return nil, err
	}
	rs, err := readSources(ctx, srcs, func() (IPSets, error) { return ipsetSave(ctx) })
	if rs != nil {
		rs.Notes = append(notes, rs.Notes...)
	}
	return rs, err
}

// liveSources finds the tool of each backend and family, and what it
// should list: every table for iptables-nft (listing creates nothing),
// the tables the kernel has for iptables-legacy.
func liveSources() (srcs []source, notes []string, err error) {
	found := false
	for _, fam := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
		legacy, err := legacyTables(fam)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range []rules.Backend{rules.BackendIptablesNft, rules.BackendIptablesLegacy} {
			tool, tables := toolNames[b][fam], tableNames
			if b == rules.BackendIptablesLegacy {
				if len(legacy) == 0 {
					found = found || haveTool(tool) || haveTool(strings.TrimSuffix(tool, "-legacy"))
					continue // listing a legacy table would create it
				}
				tables = legacy
			}
			l, err := newLister(fam, b)
			if err != nil {
				if b == rules.BackendIptablesLegacy {
					notes = append(notes, fmt.Sprintf("live %s %s tables %s exist but cannot be read: %v", b, fam, strings.Join(legacy, ", "), err))
				}
				continue
			}
			found = true
			srcs = append(srcs, source{backend: b, family: fam, l: l, tables: tables})
		}
	}
	if !found {
		return nil, nil, ErrNotInstalled
	}
	return srcs, notes, nil
}

func haveTool(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// toolNames are the commands of each backend, suffixed as iptables 1.8
// installs them.
var toolNames = map[rules.Backend]map[rules.Family]string{
	rules.BackendIptablesNft:    {rules.FamilyIPv4: "iptables-nft", rules.FamilyIPv6: "ip6tables-nft"},
	rules.BackendIptablesLegacy: {rules.FamilyIPv4: "iptables-legacy", rules.FamilyIPv6: "ip6tables-legacy"},
}

// newLister finds the backend's tool. Before iptables 1.8 there was only
// the legacy one, unsuffixed.
func newLister(fam rules.Family, b rules.Backend) (lister, error) {
	proto := iptables.ProtocolIPv4
	if fam == rules.FamilyIPv6 {
		proto = iptables.ProtocolIPv6
	}
	ipt, err := iptables.New(iptables.IPFamily(proto), iptables.Path(toolNames[b][fam]))
	if err == nil {
		return ipt, nil
	}
	if b != rules.BackendIptablesLegacy || !errors.Is(err, exec.ErrNotFound) {
		return nil, err
	}
	plain := strings.TrimSuffix(toolNames[b][fam], "-legacy")
	old, err2 := iptables.New(iptables.IPFamily(proto), iptables.Path(plain))
	if err2 != nil {
		return nil, err
	}
	if v1, v2, _ := old.GetIptablesVersion(); v1 > 1 || v1 == 1 && v2 >= 8 {
		return nil, err
	}
	return old, nil
}

// legacyTables are the legacy tables the kernel holds in this thread's
// network namespace (/proc/net follows the process's first thread, not
// this one, so thread-self is read).
func legacyTables(fam rules.Family) ([]string, error) {
	name := "ip_tables_names"
	if fam == rules.FamilyIPv6 {
		name = "ip6_tables_names"
	}
	data, err := os.ReadFile("/proc/thread-self/net/" + name)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = os.ReadFile("/proc/net/" + name)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil // module not loaded: no legacy tables
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%w: %v", ErrPermission, err)
	case err != nil:
		return nil, err
	}
	return kernelOrder(strings.Fields(string(data))), nil
}

// kernelOrder keeps the known tables of names, in tableNames' order.
func kernelOrder(names []string) []string {
	var out []string
	for _, t := range tableNames {
		for _, n := range names {
			if n == t {
				out = append(out, t)
			}
		}
	}
	return out
}

// ipsetSave reads the host's sets with `ipset save`.
func ipsetSave(ctx context.Context) (IPSets, error) {
	var out, stderr bytes.Buffer
	cmd := child.Command(ctx, "ipset", "save")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg, _, _ := strings.Cut(stderr.String(), "\n")
		return nil, fmt.Errorf("ipset save: %v %s: set matches stay undecided", err, msg)
	}
	return ParseIPSets(bufio.NewReader(&out))
}
