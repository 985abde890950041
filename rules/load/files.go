package load

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

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
	// Strict makes an input that holds no rules an error; otherwise it
	// is a note.
	Strict bool
	// Progress, when set, is told how far the reading of each file is
	// (size is 0 when unknown: a pipe).
	Progress func(name string, read, size int64)
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
func (f Files) readIPTables(ctx context.Context, rs *rules.Ruleset) error {
	sets, err := f.readIPSets(ctx)
	if err != nil {
		return err
	}
	for _, fam := range []rules.Family{rules.FamilyIPv4, rules.FamilyIPv6} {
		paths := map[rules.Family][]string{rules.FamilyIPv4: f.IPTablesSave, rules.FamilyIPv6: f.IP6TablesSave}[fam]
		if len(paths) == 0 {
			continue
		}
		part, err := f.parseIPTables(ctx, paths, ipt.Options{Family: fam, Backend: rules.BackendIptablesFile, IPSets: sets})
		if err != nil {
			return err
		}
		if err := f.merge(rs, part, paths...); err != nil {
			return err
		}
	}
	return nil
}

func (f Files) parseIPTables(ctx context.Context, paths []string, opts ipt.Options) (*rules.Ruleset, error) {
	var inputs []ipt.Input
	for _, p := range paths {
		file, err := f.open(ctx, p)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		inputs = append(inputs, ipt.Input{Name: p, R: file})
	}
	rs, err := ipt.ParseMany(opts, inputs...)
	return rs, readError(ctx, err)
}

func (f Files) readNftJSON(ctx context.Context, rs *rules.Ruleset) error {
	for _, p := range f.NftJSON {
		file, err := f.open(ctx, p)
		if err != nil {
			return err
		}
		part, err := nft.ParseJSON(file, nft.Options{Source: p})
		file.Close()
		if err != nil {
			return readError(ctx, fmt.Errorf("%s: %w", p, err))
		}
		if err := f.merge(rs, part, p); err != nil {
			return err
		}
	}
	return nil
}

// readNftText loads nft text into a scratch network namespace with the
// real nft and reads it back: only the kernel parses nft's language
// exactly.
func (f Files) readNftText(ctx context.Context, rs *rules.Ruleset) error {
	for _, p := range f.NftText {
		file, err := f.open(ctx, p)
		if err != nil {
			return err
		}
		part, err := nft.ReadText(ctx, file, nft.Options{Source: p})
		file.Close()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, nft.ErrPermission):
			return fmt.Errorf("%s: %w", p, err)
		case err != nil:
			return badInput(fmt.Errorf("%s: %w", p, err))
		}
		if err := f.merge(rs, part, p); err != nil {
			return err
		}
	}
	return nil
}

func (f Files) readIPSets(ctx context.Context) (ipt.IPSets, error) {
	var all ipt.IPSets
	for _, path := range f.IPSets {
		file, err := f.open(ctx, path)
		if err != nil {
			return nil, err
		}
		sets, err := ipt.ParseIPSets(file)
		file.Close()
		if err != nil {
			return nil, readError(ctx, fmt.Errorf("%s: %w", path, err))
		}
		if all == nil {
			all = ipt.IPSets{}
		}
		maps.Copy(all, sets)
	}
	return all, nil
}

// merge adds part, read from paths, to rs. An input that holds no table
// is said, in a note or (Strict) as an error: it is never silently a
// host without a firewall.
func (f Files) merge(rs, part *rules.Ruleset, paths ...string) error {
	if len(part.Tables) == 0 {
		names := strings.Join(paths, ", ")
		if f.Strict {
			return badInput(fmt.Errorf("%s: no rules read (the input holds no table; --strict)", names))
		}
		part.Notes = append(part.Notes, fmt.Sprintf("%s: no rules read (the input holds no table): predicted as a host without a firewall", names))
	}
	rs.Merge(part)
	return nil
}

// readError is a reader's error: the context's when it was cancelled,
// else bad input.
func readError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return badInput(err)
}

// open opens a file for a reader, reporting its progress.
func (f Files) open(ctx context.Context, path string) (*ctxFile, error) {
	file, err := open(ctx, path)
	if err == nil && f.Progress != nil {
		file.progress = func(read, size int64) { f.Progress(path, read, size) }
	}
	return file, err
}
