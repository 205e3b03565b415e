//go:build !unix

package hyperv

import "os"

// processAlive reports whether a process with id pid runs. On Windows
// FindProcess opens the process, which fails when there is none.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
