package main

import (
	"context"
	"errors"
	"strings"

	"github.com/perimeter-dev/perimeter/report"
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
func (o *sourceOptions) load(ctx context.Context, st *status) (*rules.Ruleset, error) {
	if !o.fromFiles() {
		if len(o.files.IPSets) > 0 {
			return nil, badInput("--ipset goes with rule files: the live read lists the host's ipsets itself")
		}
		st.set("reading the host's rules")
		rs, err := load.Live(ctx)
		return rs, loadError(ctx, err)
	}
	files := o.files
	files.Progress = func(name string, read, size int64) {
		if size > 0 {
			st.set("reading %s: %d%% of %d kB", name, read*100/size, size>>10)
		} else {
			st.set("reading %s: %d kB", name, read>>10)
		}
	}
	rs, err := files.Read(ctx)
	return rs, loadError(ctx, err)
}

// checkQueries: with --strict, a setting that leaves nothing to predict
// (no interface with an address) is an error, not a note.
func (o *sourceOptions) checkQueries(s *report.Setting) error {
	if !o.files.Strict {
		return nil
	}
	return requireQueries(s)
}

// requireQueries is --strict's check of a setting: something to predict.
func requireQueries(s *report.Setting) error {
	if len(s.Queries) > 0 {
		return nil
	}
	why := "no family and protocol to predict"
	if len(s.Notes) > 0 {
		why = strings.Join(s.Notes, "; ")
	}
	return badInput("nothing to predict (--strict): %s", why)
}

// loadError maps an error of package load to its exit code; a cancelled
// read is left as it is (the signal decides the exit code).
func loadError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, load.ErrInput):
		return usageError{err}
	}
	return hostError{err}
}
