package executor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// TestReloadTakesOverAJournal proves that an executor made before another
// one wrote the shared journal sees nothing of it until Reload, and then
// what a restart would: the queued moves held until Reconcile, and the VM
// of a move whose start the other journaled blocked; that Reload is
// refused while Run runs; and that the moves it took over run once each.
func TestReloadTakesOverAJournal(t *testing.T) {
	r := newRig(t, Config{}, nil)
	r.vms("a@A", "b@A", "c@A")
	standby, err := New(r.e.cfg, r.fleet, nil, r.j, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r.e.Pause("the old leader stops")
	ids := r.submit("plan-1#approved", mv("a", "A", "B"), mv("b", "A", "C"))
	started := journal.Entry{MoveID: "plan-0#auto/0", PlanID: "plan-0#auto", VMID: "vm-c", VMName: "c", From: "A", To: "D", Intent: r.clock.Now()}
	if _, _, err := r.j.Intend(started); err != nil {
		t.Fatal(err)
	}
	if _, err := r.j.Transition(started.MoveID, journal.StateStarted, r.clock.Now(), "", ""); err != nil {
		t.Fatal(err)
	}
	if st := standby.Status(); len(st.Queued) != 0 || len(st.Blocked) != 0 {
		t.Fatalf("before Reload the standby sees %d queued and %d blocked", len(st.Queued), len(st.Blocked))
	}
	if err := standby.Reload(); err != nil {
		t.Fatal(err)
	}
	st := standby.Status()
	if len(st.Queued) != 2 || !st.Queued[0].Resumed || !st.Queued[0].Held || st.Queued[0].MoveID != ids[0] {
		t.Errorf("queued after Reload: %+v, want %v held and resumed", st.Queued, ids)
	}
	if len(st.Blocked) != 1 || st.Blocked[0].VMID != "vm-c" {
		t.Errorf("blocked after Reload: %+v, want vm-c", st.Blocked)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- standby.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(hangGuard)
	for err := standby.Reload(); !errors.Is(err, ErrRunning); err = standby.Reload() {
		if time.Now().After(deadline) {
			t.Fatalf("Reload while running: %v, want ErrRunning", err)
		}
		time.Sleep(time.Millisecond)
	}
	if err := standby.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	standby.ResumeQueued()
	es, err := standby.Wait(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range es {
		if en.State != journal.StateSucceeded {
			t.Errorf("%s: %s, want succeeded", en.MoveID, en.State)
		}
	}
	for _, vm := range []string{"vm-a", "vm-b"} {
		if n := r.fleet.callsOf(vm); n != 1 {
			t.Errorf("%s migrated %d times, want once", vm, n)
		}
	}
}
