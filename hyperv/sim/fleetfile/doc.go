// Package fleetfile is the simulated fleet's file: the spec types a fleet
// file decodes into (hosts, VMs, load profiles, faults, WinRM settings, the
// domain's lockout policy), their defaults, the validation that names every
// bad field, and Generate, which writes a plausible fleet of any size. It
// knows nothing of the model that runs a fleet or of the servers that expose
// it, never speaks HTTP or WinRM, and imports no other package of the
// simulator.
package fleetfile
