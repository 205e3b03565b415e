package executor

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// TestExecutorResumesQueuedMovesAfterRestart proves that moves submitted
// and still waiting when the daemon stops are journaled as queued, queued
// again by the next executor over the journal, held until Reconcile has
// run and the owner lets them go (all at once, or one by a Submit of its
// move id), and then run once each; a Submit of a move id that ran is not
// queued again.
func TestExecutorResumesQueuedMovesAfterRestart(t *testing.T) {
	r := newRig(t, Config{}, nil)
	r.vms("a@A", "b@A", "c@A")
	r.e.Pause("waiting")
	ids := r.submit("plan-1#approved", mv("a", "A", "B"), mv("b", "A", "C"), mv("c", "A", "D"))
	r.pass()
	for _, id := range ids {
		en := r.entry(id)
		if en.State != journal.StateQueued || len(en.Move) == 0 {
			t.Fatalf("%s before the restart: %+v, want queued with its move", id, en)
		}
	}

	r.restart()
	st := r.e.Status()
	if len(st.Queued) != 3 {
		t.Fatalf("after the restart %d moves queued, want 3: %+v", len(st.Queued), st.Queued)
	}
	for i, q := range st.Queued {
		if q.MoveID != ids[i] || !q.Resumed || !q.Held || !cmp.Equal(q.Move, mv(q.Move.VMName, "A", q.Move.To)) {
			t.Errorf("queued again: %+v", q)
		}
	}
	if len(st.Blocked) != 0 {
		t.Errorf("queued moves block vms: %+v", st.Blocked)
	}
	r.pass()
	if n := r.fleet.callsOf("vm-a") + r.fleet.callsOf("vm-b"); n != 0 {
		t.Fatalf("%d held moves ran before Reconcile", n)
	}
	// The owner lets one go by submitting it again (apply of the same
	// plan): it still waits for Reconcile.
	if again := r.submit("plan-1#approved", mv("a", "A", "B")); again[0] != ids[0] {
		t.Fatalf("resubmitted as %s", again[0])
	}
	r.pass()
	if got := r.outcome(ids[0]).State; got != journal.StateQueued {
		t.Errorf("released move before Reconcile: %s, want queued", got)
	}
	if err := r.e.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.pass()
	want := []journal.State{journal.StateSucceeded, journal.StateQueued, journal.StateQueued}
	got := []journal.State{r.outcome(ids[0]).State, r.outcome(ids[1]).State, r.outcome(ids[2]).State}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Reconcile, with one move let go (-want +got):\n%s", diff)
	}
	if n := r.e.ResumeQueued(); n != 2 {
		t.Errorf("ResumeQueued let %d moves go, want 2", n)
	}
	r.pass()
	for _, id := range ids {
		if got := r.outcome(id).State; got != journal.StateSucceeded {
			t.Errorf("%s: %s, want succeeded", id, got)
		}
	}
	for _, vm := range []string{"vm-a", "vm-b", "vm-c"} {
		if n := r.fleet.callsOf(vm); n != 1 {
			t.Errorf("%s migrated %d times, want once", vm, n)
		}
	}

	// Once more: nothing is queued again, by a restart or a Submit.
	r.restart()
	r.submit("plan-1#approved", mv("a", "A", "B"), mv("b", "A", "C"), mv("c", "A", "D"))
	if err := r.e.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.e.ResumeQueued()
	r.pass()
	if st := r.e.Status(); len(st.Queued) != 0 {
		t.Errorf("queued again after they ran: %+v", st.Queued)
	}
	if n := r.fleet.callsOf("vm-a"); n != 1 {
		t.Errorf("vm-a migrated %d times, want once", n)
	}
}

// TestExecutorUnreadableQueuedMoveIsSkipped proves that a queued entry
// whose move cannot be read back does not wait for ever: it is journaled
// skipped, cause journal, when the executor starts.
func TestExecutorUnreadableQueuedMoveIsSkipped(t *testing.T) {
	r := newRig(t, Config{}, nil)
	en := journal.Entry{MoveID: "plan-1#approved/0", PlanID: "plan-1#approved", VMID: "vm-a", VMName: "a", From: "A", To: "B", Move: []byte(`{"vm":"vm-other"}`)}
	if _, err := r.j.Queue([]journal.Entry{en}); err != nil {
		t.Fatal(err)
	}
	r.restart()
	if got := r.outcome(en.MoveID); got.State != journal.StateSkipped || got.Cause != CauseJournal {
		t.Errorf("unreadable queued move: %+v, want skipped (journal)", got)
	}
	if st := r.e.Status(); len(st.Queued) != 0 {
		t.Errorf("queued: %+v", st.Queued)
	}
}
