package executor

import (
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// EventKind names a step in a move's life.
type EventKind string

// Event kinds, in the order a move meets them.
const (
	EventQueued     EventKind = "queued"     // submitted
	EventSkipped    EventKind = "skipped"    // refused before Move-VM; Cause and Err say why
	EventStarted    EventKind = "started"    // journaled as started; Move-VM is being sent
	EventSucceeded  EventKind = "succeeded"  // verified on the destination
	EventFailed     EventKind = "failed"     // Hyper-V refused it, or verification found it on the source
	EventUnknown    EventKind = "unknown"    // the outcome is not known; the VM is blocked until located
	EventReconciled EventKind = "reconciled" // an unresolved outcome was learned by locating the VM; State says which
)

// Event is the executor's progress, for apply and the status page.
type Event struct {
	Kind    EventKind
	At      time.Time
	MoveID  string
	PlanID  string
	VMID    string
	VMName  string
	From    string
	To      string
	Bytes   int64
	Elapsed time.Duration // since the move took its slots; zero before
	Cause   string        // one of the Cause constants, for skipped, failed and unknown
	Err     string        // the error or reason
	State   journal.State // the journal state the event leads to
}

var eventState = map[EventKind]journal.State{
	EventSkipped: journal.StateSkipped, EventStarted: journal.StateStarted, EventSucceeded: journal.StateSucceeded,
	EventFailed: journal.StateFailed, EventUnknown: journal.StateUnknown,
}
