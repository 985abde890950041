package report

import (
	"net/netip"
	"strconv"

	"github.com/perimeter-dev/perimeter/rules"
)

// PredictionSet is the port map of one query: one family, one protocol,
// one packet origin.
type PredictionSet struct {
	Query       rules.Query
	Predictions []rules.PortPrediction
}

// Prediction is one port range of a prediction, in the JSON form that
// `perimeter rules --output json` documents.
type Prediction struct {
	Family     rules.Family     `json:"family"`
	Protocol   string           `json:"protocol"`
	FromPort   uint16           `json:"from_port"`
	ToPort     uint16           `json:"to_port"`
	Verdict    string           `json:"verdict"`
	RejectWith string           `json:"reject_with"`
	Logged     bool             `json:"logged"`
	Log        []rules.LogEvent `json:"log"`
	Certain    bool             `json:"certain"`
	Possible   []string         `json:"possible"`
	Undecided  []string         `json:"undecided"`
	Rule       rules.Origin     `json:"rule"`
	// SeenListening and SeenNotListening are what a prober from outside should see
	// on these ports with and without a listener: the verdict, and the
	// fate of the host's replies on their way out (StateUnknown when
	// undecided; for a forwarded packet, with or without a listener on the
	// host it is forwarded to).
	SeenListening    string     `json:"seen_if_listening"`
	SeenNotListening string     `json:"seen_if_not_listening"`
	NAT              string     `json:"nat,omitempty"`
	Forwarded        bool       `json:"forwarded"`
	InIface          string     `json:"in_interface"`
	Source           netip.Addr `json:"source"`
	Dest             netip.Addr `json:"destination"`
}

// Flatten turns prediction sets into rows, one per port range.
func Flatten(sets []PredictionSet) []Prediction {
	var out []Prediction
	for _, s := range sets {
		for _, p := range s.Predictions {
			out = append(out, flat(s.Query, p))
		}
	}
	return out
}

func flat(q rules.Query, p rules.PortPrediction) Prediction {
	first := p.Result.Outcomes[0]
	row := Prediction{
		Family: q.Family, Protocol: ProtoName(q.Proto), FromPort: p.From, ToPort: p.To,
		Verdict: first.Verdict.Kind.String(), RejectWith: first.Verdict.RejectWith,
		Logged: p.Result.Logged(), Log: first.Logs, Certain: p.Result.Certain(),
		Possible: p.Result.Verdicts(), Undecided: p.Result.Undecided, Rule: first.Decider,
		Forwarded: first.Forwarded, InIface: q.InIface, Source: q.Src, Dest: q.Dst,
	}
	row.SeenListening, _ = Expected(p.Result, q.Proto, p.From, func(uint16) bool { return true })
	row.SeenNotListening, _ = Expected(p.Result, q.Proto, p.From, func(uint16) bool { return false })
	if first.NATed {
		row.NAT = netip.AddrPortFrom(first.Dst, first.Dport).String()
	}
	if row.Log == nil {
		row.Log = []rules.LogEvent{}
	}
	if row.Undecided == nil {
		row.Undecided = []string{}
	}
	return row
}

// ProtoName names an IP protocol the way iptables and nft print it.
func ProtoName(p uint8) string {
	names := map[uint8]string{rules.ProtoTCP: "tcp", rules.ProtoUDP: "udp", rules.ProtoSCTP: "sctp",
		rules.ProtoUDPLite: "udplite", rules.ProtoICMP: "icmp", rules.ProtoICMPv6: "icmpv6"}
	if n, ok := names[p]; ok {
		return n
	}
	return "proto-" + strconv.Itoa(int(p))
}
