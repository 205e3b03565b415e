package web

import (
	"context"
	"errors"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/collector"
)

// Backend is what the server shows and controls; the daemon implements it.
// Its methods are called concurrently, from many requests at once.
type Backend interface {
	// Status is the daemon's current state.
	Status() Status
	// Snapshot is the latest fleet snapshot, nil before the first one.
	Snapshot() *collector.Snapshot
	// Plans lists the known plans, newest first.
	Plans() []PlanInfo
	// Plan returns one plan; an error wrapping ErrNotFound when there is
	// no such plan.
	Plan(id string) (*balancer.Plan, error)
	// History returns up to limit journaled migrations, newest first.
	History(limit int) []journal.Entry
	// Approve approves a pending plan on behalf of by: ErrNotFound when it
	// does not exist, ErrConflict when it can no longer be approved
	// (expired, refused, already approved or run).
	Approve(ctx context.Context, id, by string) error
	// Pause stops new migrations until Resume; in-flight ones finish.
	Pause(reason string) error
	// Resume lets migrations start again.
	Resume() error
	// Reload reloads configuration and policy atomically: a bad new
	// configuration is rejected (wrap ErrInvalid) and the old one kept.
	Reload(ctx context.Context) error
	// Maintenance returns, by host name, why each host in maintenance is
	// in it; a host absent is not in maintenance.
	Maintenance() map[string][]MaintenanceState
	// EnterMaintenance puts a host in maintenance on behalf of by, durably:
	// ErrNotFound when no such host is configured. Entering again changes
	// nothing (Changed false).
	EnterMaintenance(ctx context.Context, host, by, reason string) (MaintenanceChange, error)
	// ExitMaintenance ends a host's maintenance entered through the API:
	// ErrNotFound when no such host is configured, ErrConflict (saying
	// what to change) when its configuration or label keeps it in
	// maintenance. A host not in maintenance through the API is left as
	// it is (Changed false).
	ExitMaintenance(ctx context.Context, host, by, reason string) (MaintenanceChange, error)
}

// Errors the Backend wraps so the server answers with the right status:
// ErrNotFound 404, ErrConflict 409, ErrInvalid 422, ErrUnavailable 503
// (this daemon cannot make the change now, another may: a daemon whose
// term as leader ended, as a standby that cannot reach the leader
// answers). Any other error is a 500.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrInvalid     = errors.New("invalid")
	ErrUnavailable = errors.New("unavailable")
)

// Status is the daemon's state as the API and the status page show it.
type Status struct {
	Version     string            `json:"version"`
	Mode        config.Automation `json:"mode"` // how far the daemon acts on its own
	Paused      bool              `json:"paused"`
	PauseReason string            `json:"pause_reason,omitempty"`
	// Ready is true while the daemon can do its work (journal reconciled,
	// policy loaded, a snapshot in which enough hosts answer, no credential
	// stopped, no round abandoned since the last that completed); NotReady
	// says what is missing ("reconciling the journal …" at start-up).
	Ready    bool   `json:"ready"`
	NotReady string `json:"not_ready,omitempty"`

	// Hosts and HostsAnswering count the configured hosts and those whose
	// latest poll succeeded (none before the first snapshot).
	Hosts          int `json:"hosts"`
	HostsAnswering int `json:"hosts_answering"`
	// StoppedCredentials are accounts the daemon no longer logs in with,
	// after failed logins in a row: none of their hosts is tried until
	// their secret or configuration changes.
	StoppedCredentials []StoppedCredential `json:"stopped_credentials"`

	LastRound RoundOutcome `json:"last_round"`
	// RoundRunning is the round under way; absent between rounds.
	RoundRunning *RunningRound `json:"round_running,omitempty"`
	InFlight     []Migration   `json:"in_flight"`
	Queue        int           `json:"queue"` // migrations waiting for a slot

	// CPUHigh and MemoryHigh are the thresholds (percent) above which a
	// host is hot; the status page colours its load bars by them. Zero
	// means the planner's defaults, 75 and 85.
	CPUHigh    float64 `json:"cpu_high,omitempty"`
	MemoryHigh float64 `json:"memory_high,omitempty"`

	// Balance is the fleet's balance as the newest planning pass measured
	// it; nil before the first.
	Balance *Balance `json:"balance,omitempty"`

	// Settings are the settings the daemon runs with, in file keys; those
	// a reload could not apply keep their running value and say what the
	// file holds for the next start.
	Settings []Setting `json:"settings,omitempty"`
	// LastReload is what the last reload applied and what waits for a
	// restart; absent before the first.
	LastReload *ReloadOutcome `json:"last_reload,omitempty"`
	// HA says who leads when several daemons share an etcd cluster;
	// absent for a daemon that runs alone.
	HA *HAStatus `json:"ha,omitempty"`
}

// HAStatus is the leadership as one of several daemons sees it.
type HAStatus struct {
	Node    string `json:"node"`    // this daemon's name
	Leading bool   `json:"leading"` // this daemon collects, plans and executes
	// Leader and LeaderAddress name the daemon that leads and its API,
	// where this one forwards approvals, pauses and maintenance; empty
	// while none is known.
	Leader        string `json:"leader,omitempty"`
	LeaderAddress string `json:"leader_address,omitempty"`
	// Term is the leader key's create revision in etcd: it grows with
	// every new leader.
	Term  int64     `json:"term,omitempty"`
	Since time.Time `json:"since"` // when this daemon's view last changed
}

// Setting is one running setting.
type Setting struct {
	Key   string `json:"key"`   // as in the file: "executor.max_concurrent"
	Value string `json:"value"` // the value in effect
	// AtRestart is the file's value when it differs and takes effect only
	// at the next start.
	AtRestart string `json:"at_restart,omitempty"`
}

// ReloadOutcome is what one reload did.
type ReloadOutcome struct {
	Time time.Time `json:"time"` // wall clock
	// Applied names the changed settings now in effect (or being put in
	// effect: Waiting says which wait for something first).
	Applied []string `json:"applied"`
	// Waiting are changed settings put in effect once something under way
	// ends, each with what.
	Waiting []PendingSetting `json:"waiting,omitempty"`
	// AtRestart are changed settings that take effect only when the daemon
	// starts again, each with why.
	AtRestart []PendingSetting `json:"at_restart,omitempty"`
}

// PendingSetting is a changed setting not in effect yet.
type PendingSetting struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// Balance is the fleet's balance as a planning pass measured it, over the
// hosts that may take part, before any move of that pass.
type Balance struct {
	Time time.Time `json:"time"` // the snapshot's time
	// CPUSpread and MemorySpread are the population standard deviations
	// of host load, in percentage points; TargetSpread is the spread at or
	// below which the planner calls a resource balanced.
	CPUSpread    float64 `json:"cpu_spread"`
	MemorySpread float64 `json:"memory_spread"`
	TargetSpread float64 `json:"target_spread"`
	// Balanced is the plan's verdict: true, false, or nil (null) when it
	// had too little data to tell, Reason saying why.
	Balanced *bool    `json:"balanced"`
	Reason   string   `json:"reason,omitempty"`
	Hot      []string `json:"hot_hosts"` // hosts over a high threshold
	Moves    int      `json:"moves"`     // the moves the pass planned
}

// StoppedCredential is an account the daemon stopped using.
type StoppedCredential struct {
	Credential string    `json:"credential"` // e.g. svc-hvbalancer@LAB.EXAMPLE
	Failures   int       `json:"failures"`   // failed logins in a row
	Since      time.Time `json:"since"`
	Hosts      []string  `json:"hosts"`   // the hosts that use it
	Message    string    `json:"message"` // what happened and what to do
}

// RoundOutcome is what the last round (the daemon's tick: collect → plan →
// act) did.
type RoundOutcome struct {
	Time     time.Time `json:"time,omitzero"`              // when it began, on the fleet's clock; zero before the first round
	Duration float64   `json:"duration_seconds,omitempty"` // how long it took (wall clock)
	PlanID   string    `json:"plan_id,omitempty"`
	Result   string    `json:"result,omitempty"` // a word or two: "planned", "balanced", "not known", "busy", "abandoned" …
	Error    string    `json:"error,omitempty"`
}

// RunningRound is a round under way.
type RunningRound struct {
	Since           time.Time `json:"since"`            // when it began (wall clock)
	DeadlineSeconds float64   `json:"deadline_seconds"` // round_deadline: past it the round is abandoned
}

// Migration is one live migration in flight.
type Migration struct {
	MoveID         string  `json:"move_id,omitempty"`
	PlanID         string  `json:"plan_id,omitempty"`
	VMName         string  `json:"vm_name"`
	From           string  `json:"from"`
	To             string  `json:"to"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Bytes          int64   `json:"bytes"` // the VM's assigned memory: what pre-copy sends at least
}

// PlanState is where a plan stands.
type PlanState string

// Plan states.
const (
	PlanPending    PlanState = "pending"     // some of its moves wait for approval
	PlanApproved   PlanState = "approved"    // approved; its moves are queued
	PlanExecuting  PlanState = "executing"   // its moves are running
	PlanDone       PlanState = "done"        // every move succeeded
	PlanPartlyDone PlanState = "partly_done" // every move ended, some did not succeed
	PlanFailed     PlanState = "failed"      // every move ended, none succeeded
	PlanSuperseded PlanState = "superseded"  // a newer plan replaced it before approval
	PlanExpired    PlanState = "expired"     // not approved in time
	PlanRefused    PlanState = "refused"     // the daemon would not run it: its stored copy fails its digest
)

// Final reports whether a plan in state s will change no more.
func (s PlanState) Final() bool {
	switch s {
	case PlanDone, PlanPartlyDone, PlanFailed, PlanSuperseded, PlanExpired, PlanRefused:
		return true
	}
	return false
}

// PlanInfo is one line of the plan list.
type PlanInfo struct {
	ID         string    `json:"id"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
	Moves      int       `json:"moves"`
	State      PlanState `json:"state"`
	Message    string    `json:"message,omitempty"` // the plan's outcome in plain words
	ApprovedBy string    `json:"approved_by,omitempty"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	// SupersededBy names the plan that replaced it (state superseded).
	SupersededBy string `json:"superseded_by,omitempty"`
	// Outcomes counts its moves that ended, by state: succeeded, failed,
	// skipped (keys absent when none).
	Outcomes map[MoveState]int `json:"outcomes,omitempty"`
}
