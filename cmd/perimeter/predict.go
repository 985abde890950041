package main

import (
	"bytes"
	"context"
	"io"

	"github.com/perimeter-dev/perimeter/report"
	"github.com/perimeter-dev/perimeter/rules"
)

// predictAll predicts every query, one at a time, saying which on st. It
// returns ctx's error as soon as ctx is cancelled.
func predictAll(ctx context.Context, rs *rules.Ruleset, env *rules.Env, qs []rules.Query, st *status) ([]report.PredictionSet, error) {
	var out []report.PredictionSet
	for i, q := range qs {
		st.set("predicting %s %s via %s (%d of %d)", q.Family, rules.ProtoName(q.Proto), q.InIface, i+1, len(qs))
		sets, err := report.PredictAllContext(ctx, rs, env, []rules.Query{q})
		if err != nil {
			return nil, err
		}
		out = append(out, sets...)
	}
	return out, nil
}

// writeAll renders the output into memory and writes it to w only when
// whole: rendering a table of thousands of rows takes seconds, and a
// signal during it must stop the command at once with nothing printed.
// st is ended before the output is written.
func writeAll(ctx context.Context, w io.Writer, st *status, render func(io.Writer) error) error {
	type rendered struct {
		b   *bytes.Buffer
		err error
	}
	done := make(chan rendered, 1)
	go func() {
		var b bytes.Buffer
		err := render(&b)
		done <- rendered{&b, err}
	}()
	select {
	case r := <-done:
		st.end()
		if r.err != nil {
			return r.err
		}
		_, err := r.b.WriteTo(w)
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
