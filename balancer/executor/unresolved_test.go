package executor

import (
	"context"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// TestUnresolvedMoveHoldsItsHostsSlots proves that a migration a killed
// daemon left behind, still running on the hosts, counts against their
// cap: with one migration per host, a new executor over that journal does
// not send another move touching either host until the old one is
// located, and then does.
func TestUnresolvedMoveHoldsItsHostsSlots(t *testing.T) {
	tests := []struct {
		name    string
		crashed journal.State // what the killed daemon journaled last
		waits   bool
	}{
		{"started", journal.StateStarted, true},
		{"unknown", journal.StateUnknown, true},
		{"intent, never sent", journal.StateIntent, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{MaxConcurrent: 4, PerHostCap: 1}, nil)
			r.vms("old@A", "next@A", "other@C")
			r.fleet.set(func(f *fakeFleet) { f.migrating["vm-old"] = true })
			now := r.clock.Now()
			old := mv("old", "A", "B")
			if _, _, err := r.j.Intend(journal.Entry{MoveID: "crashed/0", PlanID: "crashed", VMID: old.VM, VMName: old.VMName, From: "A", To: "B", Intent: now}); err != nil {
				t.Fatal(err)
			}
			for _, s := range []journal.State{journal.StateStarted, journal.StateUnknown} {
				if tc.crashed == journal.StateIntent || (s == journal.StateUnknown && tc.crashed == journal.StateStarted) {
					break
				}
				if _, err := r.j.Transition("crashed/0", s, now, "", ""); err != nil {
					t.Fatal(err)
				}
			}
			r.restart()
			ids := r.submit("p", mv("next", "A", "D"), mv("other", "C", "B"))
			r.pass()
			for i, vm := range []string{"vm-next", "vm-other"} {
				if got, want := r.fleet.callsOf(vm), map[bool]int{true: 0, false: 1}[tc.waits]; got != want {
					t.Errorf("%s (%s) migrated %d times while the old move was %s, want %d", vm, ids[i], got, tc.crashed, want)
				}
			}
			if !tc.waits {
				return
			}
			// Located on its destination, the old move ends and frees both hosts.
			r.fleet.set(func(f *fakeFleet) { f.migrating["vm-old"] = false; f.where["vm-old"] = "B" })
			if err := r.e.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			r.pass()
			for _, vm := range []string{"vm-next", "vm-other"} {
				if got := r.fleet.callsOf(vm); got != 1 {
					t.Errorf("%s migrated %d times once the old move was located, want once", vm, got)
				}
			}
		})
	}
}
