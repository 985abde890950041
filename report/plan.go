package report

import (
	"context"
	"slices"

	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/rules"
)

// PredictAll predicts every query in env.
func PredictAll(rs *rules.Ruleset, env *rules.Env, qs []rules.Query) []PredictionSet {
	out, _ := PredictAllContext(context.Background(), rs, env, qs)
	return out
}

// PredictAllContext is PredictAll, given up with ctx's error once ctx is
// done.
func PredictAllContext(ctx context.Context, rs *rules.Ruleset, env *rules.Env, qs []rules.Query) ([]PredictionSet, error) {
	var out []PredictionSet
	for _, q := range qs {
		preds, err := rs.PredictContext(ctx, env, q)
		if err != nil {
			return nil, err
		}
		out = append(out, PredictionSet{Query: q, Predictions: preds, Neighbor: rs.NeighborDiscovery(env, q)})
	}
	return out, nil
}

// PlanProbes lists, per protocol, the ports worth probing: every
// listening port, both ends of every range the rules treat alike (so
// every port a rule names, and one port per class). Port 0 is left out.
func PlanProbes(sets []PredictionSet, l *sockets.Listing) map[string][]uint16 {
	plan := map[string][]uint16{}
	add := func(proto string, port uint16) {
		if port != 0 {
			plan[proto] = append(plan[proto], port)
		}
	}
	for _, s := range sets {
		proto := rules.ProtoName(s.Query.Proto)
		for _, p := range s.Predictions {
			add(proto, p.From)
			add(proto, p.To)
		}
	}
	if l != nil {
		for _, s := range l.Sockets {
			add(s.Proto, s.Port)
		}
	}
	for proto, ports := range plan {
		slices.Sort(ports)
		plan[proto] = slices.Compact(ports)
	}
	return plan
}

// Reachable tells whether the default probe reaches port from some
// origin of sets, or sets are nil (the rules could not be read, so
// nothing says it does not).
func Reachable(sets []PredictionSet, proto string, port uint16) bool {
	if sets == nil {
		return true
	}
	for _, s := range sets {
		if rules.ProtoName(s.Query.Proto) != proto {
			continue
		}
		if p, ok := predictionAt(s, port); ok && p.Result.Exposure().Reach == rules.Reachable {
			return true
		}
	}
	return false
}
