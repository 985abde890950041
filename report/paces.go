package report

import (
	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/rules"
)

// Paces are the port ranges of sets whose answers a rate limit in the
// rules guards: a prober faster than the limit meets another outcome
// there (mostly silence, which it would call stealth), so it probes them
// at the limit's rate from the start. Ranges behind the same limit share
// it, as the rule counts their packets together.
func Paces(sets []PredictionSet) []probe.Pace {
	var out []probe.Pace
	for _, s := range sets {
		proto := rules.ProtoName(s.Query.Proto)
		if proto != "tcp" && proto != "udp" {
			continue
		}
		for _, p := range s.Predictions {
			limit, ok := guardingLimit(p.Result, s.Query.Proto, p.From)
			if !ok || p.To == 0 {
				continue
			}
			out = appendPace(out, probe.Pace{Proto: proto, From: max(p.From, 1), To: p.To,
				PerSecond: limit.Rate.PerSecond, Burst: int(limit.Rate.Burst), Limit: limit.Match})
		}
	}
	return out
}

// guardingLimit is the slowest rate limit that, exceeded, changes what a
// prober sees on port (with a listener or without): the assumption of an
// outcome that only going faster leads to.
func guardingLimit(res rules.Result, proto uint8, port uint16) (rules.Assumption, bool) {
	var best rules.Assumption
	if len(res.Outcomes) < 2 {
		return best, false
	}
	baseWith, baseWithout := seenOutcome(res.Outcomes[0], proto, port)
	for _, o := range res.Outcomes[1:] {
		a, ok := onlyFaster(o)
		if with, without := seenOutcome(o, proto, port); !ok || (with == baseWith && without == baseWithout) {
			continue
		}
		if best.Rate == nil || a.Rate.PerSecond < best.Rate.PerSecond {
			best = a
		}
	}
	return best, best.Rate != nil
}

// onlyFaster is the slowest rate limit o departs on, when every choice
// that leads to o is going faster than a limit.
func onlyFaster(o rules.Outcome) (rules.Assumption, bool) {
	var slowest rules.Assumption
	for _, a := range o.Assumed {
		switch {
		case !a.Departs():
		case a.Rate == nil || a.Rate.PerSecond <= 0:
			return a, false
		case slowest.Rate == nil || a.Rate.PerSecond < slowest.Rate.PerSecond:
			slowest = a
		}
	}
	return slowest, slowest.Rate != nil
}

// appendPace adds p, joined to the last pace when it continues it.
func appendPace(out []probe.Pace, p probe.Pace) []probe.Pace {
	if n := len(out); n > 0 {
		last := &out[n-1]
		if last.Proto == p.Proto && last.Limit == p.Limit && last.PerSecond == p.PerSecond &&
			last.Burst == p.Burst && int(last.To)+1 == int(p.From) {
			last.To = p.To
			return out
		}
	}
	return append(out, p)
}
