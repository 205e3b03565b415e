package hyperv

import "time"

// ShellNameOf is the name a process of this machine with the given id and
// token gives its shells, for tests that play an earlier process.
func ShellNameOf(prefix string, pid int, token string) string {
	return processIdentity{machine: thisProcess.machine, pid: pid, token: token}.shellName(prefix)
}

// SweepEvery sets how often c looks for orphaned shells.
func SweepEvery(c *Client, d time.Duration) { c.shells.sweepEvery = d }
