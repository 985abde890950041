package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"

	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/ipt"
	"github.com/perimeter-dev/perimeter/rules/nft"
)

// Files names rule files, by format.
type Files struct {
	IPTablesSave  []string // iptables-save output, IPv4
	IP6TablesSave []string // ip6tables-save output, IPv6
	NftJSON       []string // `nft -j list ruleset`
	NftText       []string // `nft list ruleset`, nftables.conf
	IPSets        []string // `ipset save`, the contents the iptables files' sets hold
}

// Empty tells whether no rule file is named (ipset files alone are not
// rules).
func (f Files) Empty() bool {
	return len(f.IPTablesSave)+len(f.IP6TablesSave)+len(f.NftJSON)+len(f.NftText) == 0
}

// Read reads every file into one ruleset. Problems with a file wrap
// ErrInput. nft text is loaded into a scratch network namespace by the
// real nft, which needs root: without it the error does not wrap
// ErrInput, since the input is not at fault.
func (f Files) Read(ctx context.Context) (*rules.Ruleset, error) {
	rs := &rules.Ruleset{}
	for _, read := range []func(context.Context, *rules.Ruleset) error{f.readIPTables, f.readNftJSON, f.readNftText} {
		if err := read(ctx, rs); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// readIPTables reads the iptables-save files of each family in order, as
// iptables-restore --noflush would load them one after another.
func (f Files) readIPTables(_ context.Context, rs *rules.Ruleset) error {
	sets, err := f.readIPSets()
	if err != nil {
		return err
	}
	for _, fam := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
		paths := map[rules.Family][]string{rules.FamilyIPv4: f.IPTablesSave, rules.FamilyIPv6: f.IP6TablesSave}[fam]
		if len(paths) == 0 {
			continue
		}
		part, err := parseIPTables(paths, ipt.Options{Family: fam, Backend: rules.BackendIptablesFile, IPSets: sets})
		if err != nil {
			return err
		}
		rs.Merge(part)
	}
	return nil
}

func parseIPTables(paths []string, opts ipt.Options) (*rules.Ruleset, error) {
	var inputs []ipt.Input
	for _, p := range paths {
		file, err := open(p)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		inputs = append(inputs, ipt.Input{Name: p, R: file})
	}
	rs, err := ipt.ParseMany(opts, inputs...)
	if err != nil {
		return nil, badInput(err)
	}
	return rs, nil
}

func (f Files) readNftJSON(_ context.Context, rs *rules.Ruleset) error {
	for _, p := range f.NftJSON {
		file, err := open(p)
		if err != nil {
			return err
		}
		part, err := nft.ParseJSON(file, nft.Options{Source: p})
		file.Close()
		if err != nil {
			return badInput(fmt.Errorf("%s: %w", p, err))
		}
		rs.Merge(part)
	}
	return nil
}

// readNftText loads nft text into a scratch network namespace with the
// real nft and reads it back: only the kernel parses nft's language
// exactly.
func (f Files) readNftText(ctx context.Context, rs *rules.Ruleset) error {
	for _, p := range f.NftText {
		file, err := open(p)
		if err != nil {
			return err
		}
		part, err := nft.ReadText(ctx, file, nft.Options{Source: p})
		file.Close()
		switch {
		case errors.Is(err, nft.ErrPermission):
			return fmt.Errorf("%s: %w", p, err)
		case err != nil:
			return badInput(fmt.Errorf("%s: %w", p, err))
		}
		rs.Merge(part)
	}
	return nil
}

func (f Files) readIPSets() (ipt.IPSets, error) {
	var all ipt.IPSets
	for _, path := range f.IPSets {
		file, err := open(path)
		if err != nil {
			return nil, err
		}
		sets, err := ipt.ParseIPSets(file)
		file.Close()
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", path, err))
		}
		if all == nil {
			all = ipt.IPSets{}
		}
		maps.Copy(all, sets)
	}
	return all, nil
}

func open(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, badInput(fmt.Errorf("open %s: no such file", path))
	}
	if err != nil {
		return nil, badInput(fmt.Errorf("open %s: %w", path, err))
	}
	return f, nil
}
