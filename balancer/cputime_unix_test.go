//go:build unix

package balancer_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process has used, all threads
// (the garbage collector's too), user and system: on a machine other work
// shares, a benchmark's CPU per operation varies far less than its time.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
