package report

import (
	"cmp"
	"slices"

	"github.com/perimeter-dev/perimeter/rules"
)

// Header is what the audit read and assumed.
type Header struct {
	Host HostFacts `json:"host"`
	// RulesRead is false when the rules could not be read (see Unread).
	RulesRead bool           `json:"rules_read"`
	Backends  []BackendRules `json:"backends"`
	Families  []rules.Family `json:"families"`
	// Listeners counts the listening sockets.
	Listeners   int           `json:"listeners"`
	Vantages    []VantageInfo `json:"vantages"`
	Environment *rules.Env    `json:"environment"`
	Queries     []QueryInfo   `json:"queries"`
	Unread      []string      `json:"unread"`
	Policies    []PolicyInfo  `json:"input_policies"`
}

// BackendRules counts the tables and rules one backend holds.
type BackendRules struct {
	Backend rules.Backend `json:"backend"`
	Tables  int           `json:"tables"`
	Rules   int           `json:"rules"`
}

// VantageInfo is a vantage as the header states it.
type VantageInfo struct {
	Vantage
	Family rules.Family `json:"family"`
	Target string       `json:"target"`
	Source string       `json:"source"`
	Ports  int          `json:"ports"`
	Modes  string       `json:"modes"`
}

// QueryInfo is one predicted packet origin: the family, interface,
// source and destination, for every protocol.
type QueryInfo struct {
	Family rules.Family `json:"family"`
	Iface  string       `json:"in_interface"`
	Source string       `json:"source"`
	Dest   string       `json:"destination"`
}

// PolicyInfo is the policy of a base chain on the input hook.
type PolicyInfo struct {
	Rule    rules.Origin `json:"chain"`
	Verdict string       `json:"policy"`
}

func header(in Input) Header {
	h := Header{Host: in.Host, Backends: []BackendRules{}, Families: []rules.Family{}, Vantages: []VantageInfo{},
		Queries: []QueryInfo{}, Unread: nonNil(in.Unread), Policies: []PolicyInfo{}}
	if in.Ruleset != nil {
		h.RulesRead = true
		h.Backends = backendRules(in.Ruleset)
		h.Families = in.Ruleset.Families
		h.Policies = inputPolicies(in.Ruleset)
	}
	if in.Listeners != nil {
		h.Listeners = len(in.Listeners.Sockets)
	}
	if in.Setting != nil {
		h.Environment = in.Setting.Env
		h.Queries = queryInfos(in.Setting.Queries)
	}
	for _, v := range in.Vantages {
		h.Vantages = append(h.Vantages, vantageInfo(v))
	}
	return h
}

func backendRules(rs *rules.Ruleset) []BackendRules {
	var out []BackendRules
	for _, t := range rs.Tables {
		i := slices.IndexFunc(out, func(b BackendRules) bool { return b.Backend == t.Backend })
		if i < 0 {
			out = append(out, BackendRules{Backend: t.Backend})
			i = len(out) - 1
		}
		out[i].Tables++
		for _, c := range t.Chains {
			out[i].Rules += len(c.Rules)
		}
	}
	slices.SortFunc(out, func(a, b BackendRules) int { return cmp.Compare(a.Backend, b.Backend) })
	return nonNilSlice(out)
}

// inputPolicies are the policies of the filter chains on the input hook.
func inputPolicies(rs *rules.Ruleset) []PolicyInfo {
	out := []PolicyInfo{}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if c.Hook == rules.HookInput && c.Type != "nat" && (c.Type == "filter" || c.Type == "") {
				out = append(out, PolicyInfo{Rule: c.Origin, Verdict: c.Policy.Kind.String()})
			}
		}
	}
	return out
}

func queryInfos(qs []rules.Query) []QueryInfo {
	out := []QueryInfo{}
	for _, q := range qs {
		qi := QueryInfo{Family: q.Family, Iface: q.InIface, Source: q.Src.String(), Dest: q.Dst.String()}
		if !slices.Contains(out, qi) {
			out = append(out, qi)
		}
	}
	return out
}

func vantageInfo(v Vantage) VantageInfo {
	vi := VantageInfo{Vantage: v, Family: v.family()}
	if v.Report == nil {
		return vi
	}
	vi.Target, vi.Source, vi.Ports = v.Report.Target.String(), v.Report.Source.String(), len(v.Report.Results)
	var modes []string
	for _, s := range v.Report.Scans {
		modes = append(modes, s.Proto+" "+string(s.Mode))
	}
	vi.Modes = joinComma(modes)
	return vi
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
