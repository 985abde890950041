package main

import (
	"context"
	"errors"

	"github.com/perimeter-dev/perimeter/rules"
	"github.com/perimeter-dev/perimeter/rules/load"
)

// sourceOptions say where rules come from: files, or the live host when
// no file is named.
type sourceOptions struct {
	files load.Files
}

func (o *sourceOptions) fromFiles() bool { return !o.files.Empty() }

// load reads the ruleset. File problems are usage errors (exit 2); a host
// that cannot be read is a host error (exit 3).
func (o *sourceOptions) load(ctx context.Context) (*rules.Ruleset, error) {
	if !o.fromFiles() {
		if len(o.files.IPSets) > 0 {
			return nil, badInput("--ipset goes with rule files: the live read lists the host's ipsets itself")
		}
		rs, err := load.Live(ctx)
		return rs, loadError(err)
	}
	rs, err := o.files.Read(ctx)
	return rs, loadError(err)
}

// loadError maps an error of package load to its exit code.
func loadError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, load.ErrInput):
		return usageError{err}
	}
	return hostError{err}
}
