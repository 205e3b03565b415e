//go:build unix

package hyperv

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with id pid runs (or cannot be
// told apart from one that does).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
