// Package model is the simulated fleet behind the wire: hosts and VMs built
// from a fleet file, a clock that can run faster than real time, VM load
// profiles and the host counters they add up to, the volumes VM files live
// on and their free space, pre-copy live migration (with the disks copied
// first for a shared-nothing move) with per-host concurrency limits and
// cluster rules, the compatibility checks Compare-VM reports and Move-VM
// refuses on, fault injection, and a ledger of every migration, so tests
// can prove what happened from the fleet's side.
//
// It takes a parsed fleetfile.FleetSpec and never parses YAML, PowerShell
// or WS-Man itself; it knows nothing of WinRM or of the servers that expose
// it. The pure arithmetic (profiles.go: load profiles; contention.go: how
// a saturated host shares its processors and what its wait counters then
// read; precopy.go: how long a migration copies; storage.go: where a
// storage migration puts each file) reads nothing of the fleet; one function (compat.go) decides every
// incompatibility for both Compare and Migrate; every change to a
// migration after it is accepted happens in queue.go.
package model
