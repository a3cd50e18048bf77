//go:build !unix

package localstack

import (
	"os"
	"syscall"
)

// childProcAttr has nothing to set on platforms without process groups.
func childProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills only the direct child: there are no process groups here.
func killGroup(p *os.Process) { _ = p.Kill() }
