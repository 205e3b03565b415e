package journaltest

import (
	"errors"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// Opener opens a journal over the storage it was made for; calling it
// again after closing the first is a restart.
type Opener func(t *testing.T) journal.Store

// Harness is how the suite reaches the implementation under test.
type Harness struct {
	// Fresh makes empty storage and returns its Opener.
	Fresh func(t *testing.T) Opener
	// Shared reports whether several journals may be open over the same
	// storage at once (daemons sharing etcd). When false, writers that
	// race share one journal (the local file admits one process).
	Shared bool
	// Fenced, when set, opens a journal over fresh storage whose writes
	// are fenced on a leadership, and returns depose, which ends that
	// leadership, lets another writer lead and returns that writer's
	// fenced journal over the same storage. nil: the store has no fence.
	Fenced func(t *testing.T) (j journal.Store, depose func() journal.Store)
	// ErrFenced is what a fenced write that was refused wraps.
	ErrFenced error
}

// Run runs every test of the suite against h.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"IntentIsRecordedOnce", testIntentOnce},
		{"Transitions", testTransitions},
		{"ReconciledOutcomeIsMarked", testReconciled},
		{"UnknownAndMissingMoveIDs", testMissing},
		{"Queries", testQueries},
		{"QueuedMoves", testQueued},
		{"ManyEntriesNewestFirst", testMany},
		{"RacingIntentsOneWins", testRaceIntend},
		{"RacingTransitionsOneWins", testRaceTransition},
		{"RacingQueuesQueueOnce", testRaceQueue},
		{"ReopenKeepsEverything", testReopen},
		{"DeposedWriterIsFenced", testFenced},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

// T0 is the suite's first instant.
var T0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// NewEntry is an entry of move id for VM vm, as the executor writes it.
func NewEntry(id, vm string) journal.Entry {
	return journal.Entry{MoveID: id, PlanID: "plan-1", VMID: vm, VMName: "web01", From: "HV01", To: "HV02", Intent: T0, Bytes: 4 << 30}
}

func open(t *testing.T, h Harness) (journal.Store, Opener) {
	t.Helper()
	o := h.Fresh(t)
	j := o(t)
	t.Cleanup(func() { j.Close() })
	return j, o
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func entries(t *testing.T) func([]journal.Entry, error) []journal.Entry {
	return must[[]journal.Entry](t)
}

func entry(t *testing.T) func(journal.Entry, error) journal.Entry { return must[journal.Entry](t) }

func bools(t *testing.T) func([]bool, error) []bool { return must[[]bool](t) }

func lastMoved(t *testing.T, j journal.Store) map[string]time.Time {
	t.Helper()
	m, err := j.LastMoved()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// transition makes a transition that must be allowed.
func transition(t *testing.T, j journal.Store, id string, to journal.State, at time.Time, cause, msg string) journal.Entry {
	t.Helper()
	e, err := j.Transition(id, to, at, cause, msg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func ids(es []journal.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.MoveID)
	}
	return out
}

func testIntentOnce(t *testing.T, h Harness) {
	j, _ := open(t, h)
	first, created, err := j.Intend(NewEntry("plan-1/1", "vm-a"))
	if err != nil || !created || first.State != journal.StateIntent || first.Seq == 0 {
		t.Fatalf("first intent: %+v created=%v err=%v", first, created, err)
	}
	again, created, err := j.Intend(NewEntry("plan-1/1", "vm-a"))
	if err != nil || created || again.State != journal.StateIntent || again.Seq != first.Seq {
		t.Errorf("intent again: %+v created=%v err=%v", again, created, err)
	}
	transition(t, j, "plan-1/1", journal.StateStarted, T0.Add(time.Second), "", "")
	again, created, err = j.Intend(NewEntry("plan-1/1", "vm-a"))
	if err != nil || created || again.State != journal.StateStarted {
		t.Errorf("intent of a started decision: %+v created=%v err=%v", again, created, err)
	}
	if all := entries(t)(j.Entries(0, nil)); len(all) != 1 {
		t.Errorf("%d entries for one decision: %v", len(all), ids(all))
	}
}

func testTransitions(t *testing.T, h Harness) {
	tests := []struct {
		name  string
		path  []journal.State
		final journal.State
		bad   bool
	}{
		{"success", []journal.State{journal.StateStarted, journal.StateSucceeded}, journal.StateSucceeded, false},
		{"failure", []journal.State{journal.StateStarted, journal.StateFailed}, journal.StateFailed, false},
		{"skipped before start", []journal.State{journal.StateSkipped}, journal.StateSkipped, false},
		{"failed before start", []journal.State{journal.StateFailed}, journal.StateFailed, false},
		{"back to queued before start", []journal.State{journal.StateQueued}, journal.StateQueued, false},
		{"lost then reconciled", []journal.State{journal.StateStarted, journal.StateUnknown, journal.StateSucceeded}, journal.StateSucceeded, false},
		{"lost before start", []journal.State{journal.StateUnknown, journal.StateFailed}, journal.StateFailed, false},
		{"outcome without start", []journal.State{journal.StateSucceeded}, journal.StateIntent, true},
		{"no way back from an outcome", []journal.State{journal.StateStarted, journal.StateSucceeded, journal.StateStarted}, journal.StateSucceeded, true},
		{"no second outcome", []journal.State{journal.StateStarted, journal.StateFailed, journal.StateSucceeded}, journal.StateFailed, true},
		{"unknown is not skipped", []journal.State{journal.StateStarted, journal.StateUnknown, journal.StateSkipped}, journal.StateUnknown, true},
		{"started is not queued again", []journal.State{journal.StateStarted, journal.StateQueued}, journal.StateStarted, true},
	}
	j, _ := open(t, h)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "m/" + string(rune('a'+i))
			intend(t, j, NewEntry(id, "vm"))
			var err error
			for k, s := range tc.path {
				if _, err = j.Transition(id, s, T0.Add(time.Duration(k+1)*time.Second), "", ""); err != nil {
					break
				}
			}
			if tc.bad != errors.Is(err, journal.ErrBadTransition) || (!tc.bad && err != nil) {
				t.Errorf("err = %v, want bad transition %v", err, tc.bad)
			}
			if e := entry(t)(j.Get(id)); e.State != tc.final {
				t.Errorf("state %s, want %s", e.State, tc.final)
			}
		})
	}
}

// intend journals the intent of e, which must be new.
func intend(t *testing.T, j journal.Store, e journal.Entry) journal.Entry {
	t.Helper()
	out, created, err := j.Intend(e)
	if err != nil || !created {
		t.Fatalf("intent of %s: created=%v err=%v", e.MoveID, created, err)
	}
	return out
}
