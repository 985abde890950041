//go:build unix && !linux

package child

import "os/exec"

// DieWithThread does nothing outside Linux, which has no parent-death
// signal.
func DieWithThread(cmd *exec.Cmd) {}
