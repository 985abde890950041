package sandbox

import "time"

// NetnsDir is where ip(8) keeps named namespaces.
const NetnsDir = netnsDir

// SetSweepGrace sets the age below which Sweep keeps a lab namespace, so a
// test can sweep namespaces it has just made; restore puts the old one back.
func SetSweepGrace(d time.Duration) (restore func()) {
	old := sweepGrace
	sweepGrace = d
	return func() { sweepGrace = old }
}
