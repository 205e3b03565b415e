package journaltest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// fencedWrite is one write of a deposed writer.
type fencedWrite struct {
	name  string
	write func(j journal.Store) error
}

// testFenced: a deposed writer's intents, queuing, outcomes and pruning
// are refused with the harness's ErrFenced and change nothing, while the
// new leader's go through.
func testFenced(t *testing.T, h Harness) {
	if h.Fenced == nil || h.ErrFenced == nil {
		t.Skip("the store has no fence: one process holds it")
	}
	old, depose := h.Fenced(t)
	t.Cleanup(func() { old.Close() })
	bools(t)(old.Queue([]journal.Entry{NewEntry("queued", "vm-q")}))
	intend(t, old, NewEntry("started", "vm-s"))
	transition(t, old, "started", journal.StateStarted, T0, "", "")
	intend(t, old, NewEntry("done", "vm-d"))
	transition(t, old, "done", journal.StateSkipped, T0, "", "")
	before := entries(t)(old.Entries(0, nil))

	leader := depose()
	t.Cleanup(func() { leader.Close() })
	writes := []fencedWrite{
		{"intend a new move", func(j journal.Store) error { _, _, err := j.Intend(NewEntry("new", "vm-n")); return err }},
		{"intend a queued move", func(j journal.Store) error { _, _, err := j.Intend(NewEntry("queued", "vm-q")); return err }},
		{"queue", func(j journal.Store) error { _, err := j.Queue([]journal.Entry{NewEntry("new", "vm-n")}); return err }},
		{"record an outcome", func(j journal.Store) error {
			_, err := j.Transition("started", journal.StateSucceeded, T0.Add(time.Minute), "", "")
			return err
		}},
		{"prune", func(j journal.Store) error { _, err := j.Prune(T0.Add(time.Hour)); return err }},
	}
	for _, w := range writes {
		err := w.write(old)
		if !errors.Is(err, h.ErrFenced) {
			t.Errorf("deposed writer's %s: %v, want it refused by the fence", w.name, err)
		}
		t.Logf("deposed writer's %s: %v", w.name, err)
	}
	if diff := cmp.Diff(before, entries(t)(leader.Entries(0, nil))); diff != "" {
		t.Errorf("the deposed writer changed the journal (-before +after):\n%s", diff)
	}
	// The new leader reconciles what the deposed one left.
	transition(t, leader, "started", journal.StateUnknown, T0.Add(time.Minute), "interrupted", "leader lost")
	transition(t, leader, "started", journal.StateSucceeded, T0.Add(2*time.Minute), "", "")
	intend(t, leader, NewEntry("queued", "vm-q"))
	if n, err := leader.Prune(T0.Add(time.Minute)); err != nil || n != 1 { // the skipped move only
		t.Errorf("new leader's prune: %d, %v", n, err)
	}
	if e := entry(t)(old.Get("started")); e.State != journal.StateSucceeded || !e.Reconciled {
		t.Errorf("the deposed writer reads %s (reconciled %v), want the new leader's outcome", e.State, e.Reconciled)
	}
}
