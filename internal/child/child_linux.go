//go:build linux

package child

import (
	"os/exec"
	"syscall"
)

// DieWithThread has the kernel kill cmd's child when the thread that
// starts it ends: with perimeter, even killed by SIGKILL. Linux ties the
// signal to the thread, not the process, and Go ends a thread when a
// goroutine locked to it exits; so call it only for a child started and
// waited for by a goroutine locked to its thread (runtime.LockOSThread),
// such as the ones that run in a scratch network namespace.
func DieWithThread(cmd *exec.Cmd) {
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
