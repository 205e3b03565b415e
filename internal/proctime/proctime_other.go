//go:build !unix

package proctime

import "time"

// CPU returns the CPU time the process has used so far; it is not
// measured on this system, and ok is always false.
func CPU() (d time.Duration, ok bool) { return 0, false }

// measured says whether CPU reads the time on this system.
const measured = false
