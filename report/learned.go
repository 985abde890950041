package report

import (
	"slices"

	"github.com/perimeter-dev/perimeter/exposure/banner"
	"github.com/perimeter-dev/perimeter/exposure/probe"
)

// learned is what an attacker learns: the open TCP ports any vantage saw,
// and what their banners reveal.
func learned(in Input, rows []Row) []string {
	var open []uint16
	for _, r := range rows {
		if r.Protocol == "tcp" && sawOpen(r) != "" {
			for _, p := range r.Probes {
				if p.Counts[probe.Open] > 0 && !slices.Contains(open, r.FromPort) {
					open = append(open, r.FromPort)
				}
			}
		}
	}
	var read []banner.Banner
	for _, b := range in.Banners {
		if b.Error == "" {
			read = append(read, b)
		}
	}
	return nonNil(banner.Summarize(open, read))
}
