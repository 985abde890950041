package rules

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Result is everything a packet can meet. Its first outcome is the
// default probe's (every unknown holding); the others each carry the
// conditions that lead to them: a sender's choice, an unknown, or both.
type Result struct {
	Outcomes []Outcome
	// Undecided names what leaves the default probe's answer open: the
	// unknowns that tell its outcomes apart, a queue to userspace, a
	// target perimeter does not understand, a reply's undecided fate.
	// Empty when the rules decide what the default probe meets.
	Undecided []string
	// Truncated is set when there were more undecided combinations than
	// the evaluator follows; Outcomes then holds only those it followed.
	Truncated bool
}

// Outcome is one way through the rules, under the Assumed values of the
// matches the default probe does not settle.
type Outcome struct {
	Verdict Verdict // Accept, Drop, Reject, Queue or UnknownTarget
	Decider Origin  // the rule, or chain policy, that decided
	Logs    []LogEvent
	Path    []Step
	Assumed []Assumption
	// Sport is the source port the outcome stands for (the default
	// probe's, or one of the ports its conditions name).
	Sport uint16
	// Dst and Dport are the destination after NAT; Forwarded is set when
	// the packet left prerouting for the forward hook.
	Dst       netip.Addr
	Dport     uint16
	NATed     bool
	Forwarded bool
	OutIface  string // where a forwarded packet leaves; "" when unknown
	// Answer is the fate of a listening service's reply (SYN-ACK, UDP
	// datagram) to an accepted packet; Refusal that of the host's "nobody
	// here" (RST, ICMP port unreachable) or of a REJECT's response. Nil
	// where the host sends no such reply.
	Answer, Refusal *Reply
}

// LogEvent is a log statement that fired on the way.
type LogEvent struct {
	Log
	Origin Origin `json:"rule"`
}

// Step is one rule that matched, or one policy applied, on the way.
type Step struct {
	Hook   Hook   `json:"hook"`
	Origin Origin `json:"rule"`
	Action string `json:"action"`
}

// Default is the default probe's outcome.
func (r Result) Default() Outcome { return r.Outcomes[0] }

// Decided reports whether the rules decide what the default probe meets.
func (r Result) Decided() bool { return len(r.Undecided) == 0 }

// Certain reports whether every outcome, whatever the sender chooses and
// whatever the unknowns are, looks the same to a prober.
func (r Result) Certain() bool {
	if r.Truncated {
		return false
	}
	for _, o := range r.Outcomes {
		if o.sight() != r.Outcomes[0].sight() || !o.Answer.settled() || !o.Refusal.settled() {
			return false
		}
	}
	return true
}

// Verdicts lists the distinct verdicts of the outcomes, in their order.
func (r Result) Verdicts() []string {
	var out []string
	for _, o := range r.Outcomes {
		if v := o.Verdict.String(); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Logged reports whether a log statement fired on the default probe's way.
func (r Result) Logged() bool {
	return len(r.Outcomes) > 0 && len(r.Outcomes[0].Logs) > 0
}

// IsDefault reports whether the outcome is the default probe's: no
// choice taken the other way (it may still rest on unknowns).
func (o Outcome) IsDefault() bool {
	return !slices.ContainsFunc(o.Assumed, Assumption.Departs)
}

// Conditions are the sender's choices that lead to the outcome, in words.
func (o Outcome) Conditions() []string {
	var out []string
	for _, a := range o.Assumed {
		if a.Departs() {
			out = append(out, a.If)
		}
	}
	return out
}

// Unknowns are the unknowns the outcome assumed.
func (o Outcome) Unknowns() []Assumption {
	var out []Assumption
	for _, a := range o.Assumed {
		if a.Kind == UnknownCondition {
			out = append(out, a)
		}
	}
	return out
}

// sight is what a prober can tell of the outcome: the verdict and whether
// the host's replies get out.
func (o Outcome) sight() string {
	return o.Verdict.String() + "|" + o.Answer.sight() + "|" + o.Refusal.sight()
}

// open names what leaves this outcome's answer open on its own: a queue,
// a target perimeter does not understand, an undecided reply.
func (o Outcome) open() []string {
	var out []string
	switch o.Verdict.Kind {
	case Queue, UnknownTarget:
		out = append(out, o.Decider.Text)
	}
	for _, r := range []*Reply{o.Answer, o.Refusal} {
		if r != nil && !r.Certain {
			out = append(out, r.Undecided...)
		}
	}
	return out
}

func (r Result) undecided() []string {
	var defaults []Outcome
	for _, o := range r.Outcomes {
		if o.IsDefault() {
			defaults = append(defaults, o)
		}
	}
	var names []string
	split := slices.ContainsFunc(defaults, func(o Outcome) bool { return o.sight() != defaults[0].sight() })
	for _, o := range defaults {
		if split {
			for _, a := range o.Unknowns() {
				names = appendNew(names, a.Match)
			}
		}
		for _, n := range o.open() {
			names = appendNew(names, n)
		}
	}
	if r.Truncated && slices.ContainsFunc(r.Outcomes, func(o Outcome) bool { return len(o.Unknowns()) > 0 }) {
		names = appendNew(names, "(more undecided matches than followed)")
	}
	return names
}

// signature identifies what a port range shares with its neighbours, so
// adjacent classes that agree merge into one range.
func (r Result) signature() string {
	var b strings.Builder
	for _, o := range r.Outcomes {
		b.WriteString(o.Verdict.String())
		b.WriteString("|")
		b.WriteString(o.Decider.String())
		for _, l := range o.Logs {
			b.WriteString("|log " + l.Origin.String())
		}
		for _, a := range o.Assumed {
			b.WriteString("|if " + a.Match + " " + strconv.FormatBool(a.Holds))
		}
		for _, r := range []*Reply{o.Answer, o.Refusal} {
			if r != nil && !r.Passes() {
				b.WriteString("|reply " + r.Verdict.String() + " " + r.Decider.String())
			}
		}
		if o.NATed {
			b.WriteString("|nat " + netip.AddrPortFrom(o.Dst, o.Dport).String())
		}
		b.WriteString(";")
	}
	b.WriteString(strings.Join(r.Undecided, ","))
	return b.String()
}
