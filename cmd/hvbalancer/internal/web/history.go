package web

import (
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// MoveState is where a journaled migration stands, as GET /api/v1/history
// names it. Its values are the API's own: the journal may rename or add
// states without changing what clients read, and a journal state must be
// mapped here before the API shows it.
type MoveState string

// Move states. Intent, started and unknown are unresolved (Final false):
// the daemon moves the VM no further until the outcome is known.
const (
	MoveQueued    MoveState = "queued"    // submitted (approved) and waiting for its turn; nothing sent for it yet
	MoveIntent    MoveState = "intent"    // decided and journaled; Move-VM not sent yet
	MoveStarted   MoveState = "started"   // Move-VM sent; the outcome is not known yet
	MoveUnknown   MoveState = "unknown"   // the connection or the daemon was lost mid-migration; the VM is being located
	MoveSucceeded MoveState = "succeeded" // the VM runs on the destination
	MoveFailed    MoveState = "failed"    // the VM stayed on the source (or was found elsewhere); cause says why
	MoveSkipped   MoveState = "skipped"   // refused before it started (stale plan, cooldown, held, blocked); cause says why
)

// moveStates maps every journal state to the API's. A state missing here
// shows as MoveUnknown, which tells a client what it must assume of it:
// that the daemon does not know where the VM is.
var moveStates = map[journal.State]MoveState{
	journal.StateQueued:    MoveQueued,
	journal.StateIntent:    MoveIntent,
	journal.StateStarted:   MoveStarted,
	journal.StateUnknown:   MoveUnknown,
	journal.StateSucceeded: MoveSucceeded,
	journal.StateFailed:    MoveFailed,
	journal.StateSkipped:   MoveSkipped,
}

// HistoryEntry is one journaled migration in GET /api/v1/history. It is
// the API's view of the executor's journal record, not the record itself:
// the journal may change its form without changing this one.
type HistoryEntry struct {
	MoveID  string    `json:"move_id"` // the plan ID and the move's number in it, e.g. "plan-…/0"
	PlanID  string    `json:"plan_id"`
	VMID    string    `json:"vm_id"`
	VMName  string    `json:"vm_name"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Trigger string    `json:"trigger,omitempty"` // "balance" or "request"
	Bytes   int64     `json:"bytes,omitempty"`   // the VM's assigned memory when the move was decided
	State   MoveState `json:"state"`
	// Final is true once the state is an outcome (succeeded, failed,
	// skipped).
	Final bool `json:"final"`
	// Cause says in a word why a move failed, was skipped or is unknown
	// (e.g. "destination_out_of_memory", "cooldown"); Error says it in the
	// words of Hyper-V or of the daemon.
	Cause string `json:"cause,omitempty"`
	Error string `json:"error,omitempty"`
	// Reconciled is true when the outcome was learned by locating the VM
	// after the connection or the daemon was lost.
	Reconciled bool `json:"reconciled,omitempty"`
	// Intent is when the move was decided and journaled, Started when
	// Move-VM was sent, Ended when the outcome was known.
	Intent  time.Time `json:"intent"`
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	// DurationSeconds is from Started to Ended; absent until both are known.
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
}

// History is the answer of GET /api/v1/history, newest first.
type History struct {
	Entries []HistoryEntry `json:"entries"`
}

// MoveStateOf is the API's name for a journal state: MoveUnknown for one
// the API does not map, which tells a client to assume the worst.
func MoveStateOf(s journal.State) MoveState {
	if state, ok := moveStates[s]; ok {
		return state
	}
	return MoveUnknown
}

// HistoryEntryOf is the API's view of a journal entry: the one place a
// journal record becomes what clients read.
func HistoryEntryOf(e journal.Entry) HistoryEntry {
	state, ok := moveStates[e.State]
	if !ok {
		state = MoveUnknown
	}
	h := HistoryEntry{
		MoveID: e.MoveID, PlanID: e.PlanID, VMID: e.VMID, VMName: e.VMName,
		From: e.From, To: e.To, Trigger: e.Trigger, Bytes: e.Bytes,
		State: state, Final: ok && e.State.Final(),
		Cause: e.Cause, Error: e.Error, Reconciled: e.Reconciled,
		Intent: e.Intent, Started: e.Started, Ended: e.Ended,
	}
	if !e.Started.IsZero() && !e.Ended.IsZero() {
		h.DurationSeconds = e.Ended.Sub(e.Started).Seconds()
	}
	return h
}

// historyOf converts journal entries, newest first, to at most limit API
// entries; never nil, so that it encodes as [].
func historyOf(es []journal.Entry, limit int) []HistoryEntry {
	es = es[:min(len(es), limit)]
	out := make([]HistoryEntry, 0, len(es))
	for _, e := range es {
		out = append(out, HistoryEntryOf(e))
	}
	return out
}
