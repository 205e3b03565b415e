// Package fleetfile is the simulated fleet's file: the spec types a fleet
// file decodes into (hosts, VMs, load profiles, faults, WinRM settings, the
// domain's lockout policy, and the storage, switches, processors,
// configuration versions and display language that decide which moves a
// host takes), their defaults, the validation that names every bad field,
// Layout, which resolves storage and compatibility defaults without writing
// them into the spec, and Generate, which writes a plausible fleet of any
// size. It knows nothing of the model that runs a fleet or of the servers
// that expose it, never speaks HTTP or WinRM, and imports no other package
// of the simulator.
package fleetfile
