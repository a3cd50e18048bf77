//go:build unix && !linux

package localstack

import (
	"os"
	"syscall"
)

// childProcAttr puts the emulator in its own process group so Close can kill
// it together with anything it spawned. There is no parent-death signal
// outside Linux; Close (or StopTestStack) must run to stop the emulators.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process group led by p. Errors are ignored: the only
// expected one is ESRCH, meaning the group is already gone.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}
