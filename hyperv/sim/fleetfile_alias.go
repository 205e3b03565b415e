package sim

// Package sim's public face for the fleet file: its spec types, ParseFleet,
// LoadFleet, Generate and its defaults. A program or test that loads a fleet
// and serves it (the daemon's simulator mode, hvsim, the end-to-end tests of
// the collector, the executor and the daemon) imports package sim alone and
// names these. They are aliases, not copies: package fleetfile defines them,
// and code inside the simulator's subtree that works on the fleet file alone
// imports it directly.

import "github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"

// The fleet file's types, kept reachable from package sim; see package fleetfile.
type (
	// FleetSpec is a fleet file; see fleetfile.FleetSpec.
	FleetSpec = fleetfile.FleetSpec
	// Credentials is the fleet's domain account; see fleetfile.Credentials.
	Credentials = fleetfile.Credentials
	// HostSpec is one host of a fleet file; see fleetfile.HostSpec.
	HostSpec = fleetfile.HostSpec
	// VMSpec is one VM of a fleet file; see fleetfile.VMSpec.
	VMSpec = fleetfile.VMSpec
	// Load is how a VM loads its host; see fleetfile.Load.
	Load = fleetfile.Load
	// Duration is a fleet file's duration; see fleetfile.Duration.
	Duration = fleetfile.Duration
	// FieldError is one bad field of a fleet file; see fleetfile.FieldError.
	FieldError = fleetfile.FieldError
	// WinRMSpec is a fleet file's winrm settings; see fleetfile.WinRMSpec.
	WinRMSpec = fleetfile.WinRMSpec
	// WinRMSettings is a host's WinRM service; see fleetfile.WinRMSettings.
	WinRMSettings = fleetfile.WinRMSettings
	// Lockout is the domain's lockout policy; see fleetfile.Lockout.
	Lockout = fleetfile.Lockout
	// Faults are the failures injected into one host; see fleetfile.Faults.
	Faults = fleetfile.Faults
)

// ParseFleet decodes and validates a fleet file; see fleetfile.ParseFleet.
func ParseFleet(data []byte) (*FleetSpec, error) { return fleetfile.ParseFleet(data) }

// LoadFleet reads, decodes and validates a fleet file; see fleetfile.LoadFleet.
func LoadFleet(path string) (*FleetSpec, error) { return fleetfile.LoadFleet(path) }

// Generate writes a fleet of hosts and VMs; see fleetfile.Generate.
func Generate(hosts, vms int, seed int64) *FleetSpec { return fleetfile.Generate(hosts, vms, seed) }

// DefaultStart is the simulated time a fleet starts at when its file names none.
var DefaultStart = fleetfile.DefaultStart

// Defaults of a fleet file; see package fleetfile.
const (
	DefaultDomain           = fleetfile.DefaultDomain
	DefaultUsername         = fleetfile.DefaultUsername
	DefaultPassword         = fleetfile.DefaultPassword
	DefaultReserveGiB       = fleetfile.DefaultReserveGiB
	DefaultMaxMigrations    = fleetfile.DefaultMaxMigrations
	DefaultBandwidthGbps    = fleetfile.DefaultBandwidthGbps
	DefaultOverheadPercent  = fleetfile.DefaultOverheadPercent
	DefaultDirtyRateMBps    = fleetfile.DefaultDirtyRateMBps
	DefaultMemoryDemand     = fleetfile.DefaultMemoryDemand
	DefaultMoveFailure      = fleetfile.DefaultMoveFailure
	DefaultLockoutThreshold = fleetfile.DefaultLockoutThreshold
	DefaultLockoutWindow    = fleetfile.DefaultLockoutWindow
	DefaultLockoutDuration  = fleetfile.DefaultLockoutDuration
)

// The WinRM authentication schemes; see fleetfile.AuthNegotiate.
const (
	AuthNegotiate = fleetfile.AuthNegotiate
	AuthKerberos  = fleetfile.AuthKerberos
	AuthBasic     = fleetfile.AuthBasic
)

// Load profiles; see fleetfile.ProfileSteady.
const (
	ProfileSteady     = fleetfile.ProfileSteady
	ProfileDiurnal    = fleetfile.ProfileDiurnal
	ProfileBursty     = fleetfile.ProfileBursty
	ProfileRandomWalk = fleetfile.ProfileRandomWalk
)

// HRESULTs the simulator produces; see fleetfile.HResultNoCredentials.
const (
	HResultNoCredentials   = fleetfile.HResultNoCredentials
	HResultNoSuitableCreds = fleetfile.HResultNoSuitableCreds
	HResultOutOfMemory     = fleetfile.HResultOutOfMemory
	HResultTimeout         = fleetfile.HResultTimeout
	HResultRefused         = fleetfile.HResultRefused
	HResultNotConfigured   = fleetfile.HResultNotConfigured
	HResultBusy            = fleetfile.HResultBusy
	HResultInvalidArg      = fleetfile.HResultInvalidArg
	HResultClusteredVM     = fleetfile.HResultClusteredVM
	HResultNodeNotFound    = fleetfile.HResultNodeNotFound
	HResultNotClusterNode  = fleetfile.HResultNotClusterNode
	HResultResourceMissing = fleetfile.HResultResourceMissing
)
