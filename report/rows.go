package report

import (
	"fmt"
	"net/netip"

	"github.com/perimeter-dev/perimeter/exposure/probe"
	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/rules"
)

// Row is one port, or range of ports treated alike, that matters: it is
// reachable, something listens on it, a rule names it, or a vantage saw
// it open.
type Row struct {
	Protocol string `json:"protocol"`
	FromPort uint16 `json:"from_port"`
	ToPort   uint16 `json:"to_port"`
	// Service is the known service on the port, by its process or port.
	Service   string     `json:"service"`
	Listeners []Listener `json:"listeners"`
	// Predictions holds one entry per predicted packet origin (family,
	// interface, source).
	Predictions []RowPrediction `json:"predictions"`
	// Probes holds what each vantage saw of the probed ports in the row.
	Probes []RowProbe `json:"probes"`
}

// Listener is a listening socket, as a row shows it.
type Listener struct {
	Address string   `json:"address"`
	Serves  []string `json:"serves"`
	Process string   `json:"process"`
	PID     int      `json:"pid"`
	User    string   `json:"user"`
	Exe     string   `json:"exe,omitempty"`
}

// RowPrediction is what the rules do with the default probe from one
// origin on the row's ports.
type RowPrediction struct {
	Family  rules.Family `json:"family"`
	Iface   string       `json:"in_interface"`
	Source  netip.Addr   `json:"source"`
	Dest    netip.Addr   `json:"destination"`
	Outcome              // of the default probe
	// Exposure is what the best-placed sender reaches.
	Exposure string      `json:"exposure"`
	Reach    rules.Reach `json:"reach"`
	// If lists the sender's choices that reach the row when the default
	// probe does not.
	If []string `json:"if"`
	// Expected is what the default probe should see, with the row's
	// listeners; Certain is false when unknowns decide it.
	Expected  probe.State `json:"expected"`
	Certain   bool        `json:"certain"`
	Undecided []string    `json:"undecided"`

	res rules.Result
	q   rules.Query
}

// RowProbe is what one vantage saw of the row's probed ports.
type RowProbe struct {
	Vantage string       `json:"vantage"`
	Family  rules.Family `json:"family"`
	Weak    bool         `json:"weak"`
	// Ports counts the probed ports of the row; Counts how many were
	// seen in each state.
	Ports  int                 `json:"ports"`
	Counts map[probe.State]int `json:"counts"`
	// State and Reason are those of the first probed port.
	State  probe.State `json:"state"`
	Reason string      `json:"reason"`
	// Expected is what the rules predict for the vantage's own packets on
	// that port, and Agrees whether every probed port of the row agrees
	// with its prediction; both empty when no prediction is certain.
	Expected probe.State `json:"expected,omitempty"`
	Agrees   *bool       `json:"agrees,omitempty"`
	// Mismatches lists the ports whose state the prediction did not
	// foresee.
	Mismatches []Mismatch `json:"mismatches,omitempty"`
}

// Mismatch is a probed port whose state differs from the prediction.
type Mismatch struct {
	Port     uint16       `json:"port"`
	Expected probe.State  `json:"expected"`
	Seen     probe.State  `json:"seen"`
	Rule     rules.Origin `json:"rule"`
}

// Ports spells the row's ports: "22", "1024-65535".
func (r Row) Ports() string { return portRange(r.FromPort, r.ToPort) }

func portRange(from, to uint16) string {
	if from == to {
		return fmt.Sprint(from)
	}
	return fmt.Sprintf("%d-%d", from, to)
}

// Size counts the row's ports.
func (r Row) Size() int { return int(r.ToPort) - int(r.FromPort) + 1 }

// rows builds a row for every segment that matters, protocol by
// protocol.
func (j *join) rows() []Row {
	out := []Row{}
	for _, proto := range j.protocols() {
		var all []Row
		for _, seg := range j.segments(proto) {
			all = append(all, j.row(proto, seg))
		}
		rest := restSignature(all)
		for _, row := range all {
			if j.matters(row, rest) {
				out = append(out, row)
			}
		}
	}
	return out
}

func (j *join) row(proto string, seg [2]uint16) Row {
	r := Row{Protocol: proto, FromPort: seg[0], ToPort: seg[1], Listeners: []Listener{}, Predictions: []RowPrediction{}, Probes: []RowProbe{}}
	if seg[0] == seg[1] {
		r.Listeners = listenersOf(j.socketsOn(proto, seg[0]))
	}
	r.Service = serviceName(proto, seg[0], seg[1], r.Listeners)
	for _, s := range j.setsOf(proto) {
		if p, ok := predictionAt(s, seg[0]); ok {
			r.Predictions = append(r.Predictions, j.rowPrediction(s, p.Result, seg[0]))
		}
	}
	for _, v := range j.vantages {
		if rp, ok := v.probed(proto, seg); ok {
			r.Probes = append(r.Probes, rp)
		}
	}
	return r
}

func (j *join) rowPrediction(s PredictionSet, res rules.Result, port uint16) RowPrediction {
	q := s.Query
	e := res.Exposure()
	rp := RowPrediction{Family: q.Family, Iface: q.InIface, Source: q.Src, Dest: q.Dst, Outcome: outcomeRow(res.Default()),
		Exposure: e.String(), Reach: e.Reach, If: nonNil(e.If), Undecided: nonNil(res.Undecided), res: res, q: q}
	rp.Expected, rp.Certain = Expect(res, q.Proto, port, j.listening(q), s.Neighbor)
	rp.SeenListening, rp.SeenNotListening = seen(func(listening func(uint16) bool) (probe.State, bool) {
		return Expect(res, q.Proto, port, listening, s.Neighbor)
	})
	return rp
}

func listenersOf(socks []sockets.Socket) []Listener {
	out := []Listener{}
	for _, s := range socks {
		l := Listener{Address: s.Local(), Serves: s.Serves, User: s.User}
		if len(s.Processes) > 0 {
			l.Process, l.PID, l.Exe = s.Processes[0].Name, s.Processes[0].PID, s.Processes[0].Exe
		}
		out = append(out, l)
	}
	return out
}

// serviceName is the known service on a single port, by its listener's
// process first.
func serviceName(proto string, from, to uint16, ls []Listener) string {
	if from != to {
		return ""
	}
	process := ""
	if len(ls) > 0 {
		process = ls[0].Process
	}
	if s, ok := knownService(proto, from, process); ok {
		return s.Name
	}
	return ""
}

// matters tells whether a row is shown: something listens, a vantage
// saw it open, or a rule treats it apart from the rest of the ports and
// a sender reaches it or a prober sees more than silence. The rest, even
// when reachable (no firewall), is summed up in the closing lines.
func (j *join) matters(r Row, rest string) bool {
	if len(r.Listeners) > 0 || sawOpen(r) != "" {
		return true
	}
	if signature(r.Predictions) == rest {
		return false
	}
	for _, p := range r.Predictions {
		if p.Reach != rules.NotReachable {
			return true
		}
	}
	return !allStealth(r.Predictions)
}

func allStealth(ps []RowPrediction) bool {
	for _, p := range ps {
		if p.Expected != probe.Stealth {
			return false
		}
	}
	return true
}

// signature is what the rules do with a row's ports, from every origin:
// two segments with one signature are treated alike.
func signature(ps []RowPrediction) string {
	s := ""
	for _, p := range ps {
		s += fmt.Sprintf("%s|%v|%s|%s|%s;", p.VerdictText(), p.Logged, p.Rule, p.Expected, p.Exposure)
	}
	return s
}

// restSignature is the signature of the most ports of a protocol's
// rows: the rest, which the closing lines sum up.
func restSignature(all []Row) string {
	count := map[string]int{}
	best := ""
	for _, r := range all {
		sig := signature(r.Predictions)
		count[sig] += r.Size()
		if count[sig] > count[best] {
			best = sig
		}
	}
	return best
}
