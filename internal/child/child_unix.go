//go:build unix

package child

import (
	"os/exec"
	"syscall"
)

// killGroup kills the child's process group (its pid: Setpgid), so that
// what it started goes too.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}
