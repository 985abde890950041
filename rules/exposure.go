package rules

import (
	"slices"
	"strings"
)

// Reach says whether the best-placed sender reaches a service on a port.
type Reach string

// Reaches.
const (
	Reachable    Reach = "reachable"
	ReachableIf  Reach = "reachable-if"
	NotReachable Reach = "not-reachable"
	ReachUnknown Reach = "unknown"
)

// Exposure is what the best-placed sender can reach on a port: a service
// there answers it (the packet is accepted and the answer gets out).
type Exposure struct {
	Reach Reach `json:"reach"`
	// If lists, for ReachableIf, the ways in: each the sender's choices
	// one outcome needs, joined by "and".
	If []string `json:"if,omitempty"`
	// Unknowns names, for ReachUnknown, what decides.
	Unknowns []string `json:"unknowns,omitempty"`
}

// String is the exposure in words: "reachable", "reachable if from source
// port 53", "not reachable", "unknown (ipset whitelist)".
func (e Exposure) String() string {
	switch e.Reach {
	case ReachableIf:
		return "reachable if " + strings.Join(e.If, ", or if ")
	case ReachUnknown:
		return "unknown (" + strings.Join(e.Unknowns, "; ") + ")"
	case NotReachable:
		return "not reachable"
	}
	return string(e.Reach)
}

// Exposure says what the best-placed sender reaches: the default probe, or
// failing it, a sender that makes the choices some outcome needs; unknown
// where the unknowns decide.
func (r Result) Exposure() Exposure {
	byWay := map[string][]Outcome{}
	var ways []string
	for _, o := range r.Outcomes {
		way := strings.Join(o.Conditions(), " and ")
		if _, ok := byWay[way]; !ok {
			ways = append(ways, way)
		}
		byWay[way] = append(byWay[way], o)
	}
	switch reachAll(byWay[""]) {
	case True:
		return Exposure{Reach: Reachable}
	case Unknown:
		return Exposure{Reach: ReachUnknown, Unknowns: r.unknownsOf(byWay[""])}
	}
	return r.otherWays(ways, byWay)
}

// otherWays is the exposure when the default probe reaches nothing: the
// ways in that surely work, else unknown if some may.
func (r Result) otherWays(ways []string, byWay map[string][]Outcome) Exposure {
	var sure []string
	var maybe []Outcome
	for _, way := range ways[1:] {
		switch reachAll(byWay[way]) {
		case True:
			sure = append(sure, way)
		case Unknown:
			maybe = append(maybe, byWay[way]...)
		}
	}
	switch {
	case len(sure) > 0:
		return Exposure{Reach: ReachableIf, If: sure}
	case len(maybe) > 0 || r.Truncated:
		return Exposure{Reach: ReachUnknown, Unknowns: r.unknownsOf(maybe)}
	}
	return Exposure{Reach: NotReachable}
}

// reachAll is True when every outcome reaches a service, False when none
// does, Unknown otherwise.
func reachAll(os []Outcome) Tri {
	yes, no := 0, 0
	for _, o := range os {
		switch o.reach() {
		case True:
			yes++
		case False:
			no++
		}
	}
	switch {
	case len(os) == 0 || no == len(os):
		return False
	case yes == len(os):
		return True
	}
	return Unknown
}

// reach says whether a service on the port answers this outcome's packet.
func (o Outcome) reach() Tri {
	switch {
	case o.Verdict.Kind == Queue || o.Verdict.Kind == UnknownTarget:
		return Unknown
	case o.Verdict.Kind != Accept:
		return False
	case o.Answer.Passes():
		return True
	case o.Answer.Certain:
		return False
	}
	return Unknown
}

// unknownsOf names what the outcomes' reach rests on.
func (r Result) unknownsOf(os []Outcome) []string {
	var names []string
	for _, o := range os {
		for _, a := range o.Unknowns() {
			names = appendNew(names, a.Match)
		}
		for _, n := range o.open() {
			names = appendNew(names, n)
		}
	}
	if len(names) == 0 && r.Truncated {
		names = append(names, "more undecided matches than followed")
	}
	return names
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
