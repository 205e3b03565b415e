package sim

// Package sim's public face for the model: Fleet, NewFleet, the clocks, the
// states, the ledger and its outcomes. A program or test that loads a fleet
// and serves it (the daemon's simulator mode, hvsim, the end-to-end tests of
// the collector, the executor and the daemon) imports package sim alone and
// names these. They are aliases, not copies: package model defines them, and
// code inside the simulator's subtree that works on the model alone imports
// it directly.

import (
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
)

// The model's types, kept reachable from package sim; see package model.
type (
	// Fleet is a running simulated fleet; see model.Fleet.
	Fleet = model.Fleet
	// Clock is the fleet's time; see model.Clock.
	Clock = model.Clock
	// ScaledClock is real time sped up; see model.ScaledClock.
	ScaledClock = model.ScaledClock
	// ManualClock moves only when told; see model.ManualClock.
	ManualClock = model.ManualClock
	// HostState is what a host reports; see model.HostState.
	HostState = model.HostState
	// VMState is what a VM reports; see model.VMState.
	VMState = model.VMState
	// VMStateCode is Hyper-V's VM state enum; see model.VMStateCode.
	VMStateCode = model.VMStateCode
	// LedgerEntry is one migration as the fleet saw it; see model.LedgerEntry.
	LedgerEntry = model.LedgerEntry
	// HostLedger is one host's migration counts; see model.HostLedger.
	HostLedger = model.HostLedger
	// MigrationRequest asks for one live migration; see model.MigrationRequest.
	MigrationRequest = model.MigrationRequest
	// MoveError is a failed migration as Hyper-V reports it; see model.MoveError.
	MoveError = model.MoveError
)

// NewFleet builds a fleet from a fleet file; see model.NewFleet.
func NewFleet(spec *FleetSpec, clock Clock) (*Fleet, error) { return model.NewFleet(spec, clock) }

// NewScaledClock starts a clock at start running speed times real time; see model.NewScaledClock.
func NewScaledClock(start time.Time, speed float64) *ScaledClock {
	return model.NewScaledClock(start, speed)
}

// NewManualClock starts a clock at start that moves only when advanced; see model.NewManualClock.
func NewManualClock(start time.Time) *ManualClock { return model.NewManualClock(start) }

// Errors of the model; see package model.
var (
	ErrClosed      = model.ErrClosed
	ErrUnknownHost = model.ErrUnknownHost
)

// VM states; see model.VMRunning.
const (
	VMRunning = model.VMRunning
	VMOff     = model.VMOff
	VMSaved   = model.VMSaved
	VMPaused  = model.VMPaused
)

// Ledger outcomes; see model.OutcomeQueued.
const (
	OutcomeQueued    = model.OutcomeQueued
	OutcomeRunning   = model.OutcomeRunning
	OutcomeCompleted = model.OutcomeCompleted
	OutcomeFailed    = model.OutcomeFailed
)

// StatusNormal is a healthy host's status; see model.StatusNormal.
const StatusNormal = model.StatusNormal
