package journaltest

import (
	"errors"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// testIntentOnce: a move id is journaled once; asking again, before or
// after its start, returns the entry as it is with created false.
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

// testTransitions: every transition the executor makes is allowed, every
// other is refused with ErrBadTransition and leaves the entry as it was.
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
