package rules_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/perimeter-dev/perimeter/internal/rulegen"
	"github.com/perimeter-dev/perimeter/rules"
)

// cancelAfter is a context that is cancelled once asked n times: the
// prediction must look at its context while it works, not only before.
type cancelAfter struct {
	context.Context
	n atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestPredictContextStopsWhenCancelled(t *testing.T) {
	rs := generatedRuleset(t, rulegen.Kube{Services: 500, Endpoints: 2}.WriteIPTablesSave)
	env, q := fileSetting(rs)
	q.Proto = rules.ProtoTCP
	for _, asks := range []int64{0, 1, 3} {
		ctx := &cancelAfter{Context: context.Background()}
		ctx.n.Store(asks)
		if preds, err := rs.PredictContext(ctx, env, q); !errors.Is(err, context.Canceled) || preds != nil {
			t.Errorf("cancelled after %d looks: %d ranges, %v; want context.Canceled", asks, len(preds), err)
		}
	}
	if _, err := rs.PredictContext(context.Background(), env, q); err != nil {
		t.Errorf("not cancelled: %v", err)
	}
}
