//go:build linux

package localstack

import (
	"os"
	"syscall"
)

// childProcAttr puts the emulator in its own process group, so Close can kill
// it together with anything it spawned, and asks the kernel to SIGKILL it if
// we die (even by SIGKILL or a crash), so emulators never outlive a test run.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills the process group led by p. Errors are ignored: the only
// expected one is ESRCH, meaning the group is already gone.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}
