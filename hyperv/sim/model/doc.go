// Package model is the simulated fleet behind the wire: hosts and VMs built
// from a fleet file, a clock that can run faster than real time, VM load
// profiles and the host counters they add up to, pre-copy live migration
// with per-host concurrency limits and cluster rules, fault injection, and a
// ledger of every migration, so tests can prove what happened from the
// fleet's side. It knows nothing of WinRM, PowerShell or the servers that
// expose it.
package model
