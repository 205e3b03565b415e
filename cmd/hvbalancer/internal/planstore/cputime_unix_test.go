//go:build unix

package planstore_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process has used, all threads,
// user and system: with an embedded etcd server in the same process, a
// read's CPU on both sides of the connection.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
