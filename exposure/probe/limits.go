package probe

import "fmt"

// limits are the prober's resources that bound how many probes may be in
// flight: a connect() holds an ephemeral port and a file. (A conntrack
// entry outlives its probe, so ctBudget bounds the sends instead.)
type limits struct {
	ephemeral int // size of ip_local_port_range; 0 unknown
	files     int // open-file limit minus files open; 0 unknown
}

// window is the most probes in flight for mode, with what set it. Half of
// each resource is left to the rest of the host.
func (l limits) window(mode Mode) (int, string) {
	w, why := rawWindow, "mode"
	if mode == ModeConnect {
		w = connectWindow
	}
	try := func(n int, name string) {
		if n/2 < w {
			w, why = max(minWindow, n/2), fmt.Sprintf("%s (%d free)", name, n)
		}
	}
	if mode == ModeConnect {
		if l.ephemeral > 0 {
			try(l.ephemeral, "ephemeral ports")
		}
		if l.files > 0 {
			try(l.files, "open-file limit")
		}
	}
	return w, why
}
