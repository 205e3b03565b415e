package executor

import (
	"context"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// TestExecutorRequeuesAMoveStoppedBeforeItsStart proves that a submitted
// move a stop caught after its intent and before Move-VM was sent (while it
// was re-checked or compared) is not lost: the next executor over the
// journal queues it again in its place, held like the other queued moves
// and blocking nothing, and once Reconcile has run and the owner lets the
// moves go, it runs once, before the moves queued after it.
func TestExecutorRequeuesAMoveStoppedBeforeItsStart(t *testing.T) {
	r := newRig(t, Config{MaxConcurrent: 1}, nil)
	r.vms("a@A", "b@A", "c@A")
	r.e.Pause("waiting")
	ids := r.submit("plan-1#approved", mv("a", "A", "B"), mv("b", "A", "C"), mv("c", "A", "D"))
	r.pass()
	// The daemon decided on the first move and stopped before its start.
	if _, created, err := r.j.Intend(r.entry(ids[0])); err != nil || !created {
		t.Fatalf("intent of %s: created %v, %v", ids[0], created, err)
	}
	if got := r.entry(ids[0]).State; got != journal.StateIntent {
		t.Fatalf("%s before the restart: %s, want intent", ids[0], got)
	}

	r.restart()
	st := r.e.Status()
	if len(st.Queued) != 3 || st.Queued[0].MoveID != ids[0] || !st.Queued[0].Resumed || !st.Queued[0].Held {
		t.Fatalf("after the restart: queued %+v, want the three moves, %s first, resumed and held", st.Queued, ids[0])
	}
	if len(st.Blocked) != 0 {
		t.Errorf("the move queued again blocks its vm: %+v", st.Blocked)
	}
	if got := r.entry(ids[0]).State; got != journal.StateQueued {
		t.Errorf("%s after the restart: journaled %s, want queued", ids[0], got)
	}
	if err := r.e.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.outcome(ids[0]); got.State != journal.StateQueued {
		t.Errorf("Reconcile ended the move queued again: %+v", got)
	}
	if n := r.e.ResumeQueued(); n != 3 {
		t.Errorf("ResumeQueued let %d moves go, want 3", n)
	}
	for range ids { // one at a time
		r.pass()
		r.clock.Advance(time.Second)
	}
	for _, id := range ids {
		if got := r.outcome(id); got.State != journal.StateSucceeded {
			t.Errorf("%s: %+v, want succeeded", id, got)
		}
	}
	for _, vm := range []string{"vm-a", "vm-b", "vm-c"} {
		if n := r.fleet.callsOf(vm); n != 1 {
			t.Errorf("%s migrated %d times, want once", vm, n)
		}
	}
	if a, b := r.entry(ids[0]), r.entry(ids[1]); !a.Started.Before(b.Started) {
		t.Errorf("the move queued again started at %v, not before the next one (%v)", a.Started, b.Started)
	}
}

// TestExecutorRequeuesAStagedEvacuationOnStop proves that a stop does not
// lose an evacuation that passed its checks and waits, staged, for a
// migration slot of its draining host: Move-VM was never sent for it, so it
// is journaled queued again rather than skipped, stays in this executor's
// queue, and the next executor over the journal runs it once, while the
// evacuation that held the slot is not sent again.
func TestExecutorRequeuesAStagedEvacuationOnStop(t *testing.T) {
	r := newRig(t, Config{
		MaxConcurrent: 10,
		HostLimit:     func(h string) int { return map[string]int{"M": 1}[h] },
		Evacuating:    func(h string) bool { return h == "M" },
	}, nil)
	gate := r.fleet.gated()
	r.vms("big@M", "small@M")
	big, small := mv("big", "M", "D1"), mv("small", "M", "D2")
	big.Bytes = 2 << 30
	ids := r.submit("plan-1#approved", big, small)
	stop, done := r.run()
	c := <-gate // the larger VM takes M's one slot
	if c.m.VM != "vm-big" {
		t.Fatalf("the first migration is of %s, want vm-big", c.m.VM)
	}
	staged := func() bool {
		for _, f := range r.e.Status().InFlight {
			if f.MoveID == ids[1] && f.Phase == phaseStaged {
				return true
			}
		}
		return false
	}
	r.until("the smaller VM is staged for M's slot", staged)

	stop() // SIGTERM: the staged move gives its turn up, the other drains
	r.until("the staged move leaves its slots", func() bool { return !staged() })
	c.done <- nil
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := r.outcome(ids[0]); got.State != journal.StateSucceeded {
		t.Errorf("the migrating evacuation: %+v, want succeeded", got)
	}
	if got := r.outcome(ids[1]); got.State != journal.StateQueued || got.Cause != "" {
		t.Fatalf("the staged evacuation after the stop: %+v, want queued again", got)
	}
	if st := r.e.Status(); len(st.Queued) != 1 || st.Queued[0].MoveID != ids[1] || len(st.InFlight) != 0 {
		t.Errorf("after the stop: queued %+v, in flight %+v; want the staged move queued", st.Queued, st.InFlight)
	}
	if n := r.fleet.callsOf("vm-small"); n != 0 {
		t.Fatalf("Move-VM sent %d times for the staged move before the restart", n)
	}

	r.restart()
	st := r.e.Status()
	if len(st.Queued) != 1 || st.Queued[0].MoveID != ids[1] || !st.Queued[0].Resumed || !st.Queued[0].Held {
		t.Fatalf("after the restart: queued %+v, want the staged move, resumed and held", st.Queued)
	}
	if err := r.e.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := r.e.ResumeQueued(); n != 1 {
		t.Errorf("ResumeQueued let %d moves go, want 1", n)
	}
	go func() {
		for c := range gate {
			c.done <- nil
		}
	}()
	defer close(gate)
	r.pass()
	if got := r.outcome(ids[1]); got.State != journal.StateSucceeded {
		t.Errorf("the staged evacuation after the restart: %+v, want succeeded", got)
	}
	for _, vm := range []string{"vm-big", "vm-small"} {
		if n := r.fleet.callsOf(vm); n != 1 {
			t.Errorf("%s migrated %d times, want once", vm, n)
		}
	}
}
