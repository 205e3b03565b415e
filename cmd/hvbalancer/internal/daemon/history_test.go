package daemon

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// TestHistoryRemembersCompareRefusals: the planner's history holds the
// moves Compare-VM refused for a compatibility or storage cause within the
// refusal memory, and not those skipped for another cause, those older than
// the memory, or those that failed or succeeded.
func TestHistoryRemembersCompareRefusals(t *testing.T) {
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	for i, e := range []struct {
		vm, to string
		ago    time.Duration
		state  journal.State
		cause  string
	}{
		{"vm-1", "HV05", time.Hour, journal.StateSkipped, executor.CauseStorageMissing},
		{"vm-2", "HV06", 5 * time.Hour, journal.StateSkipped, executor.CauseSwitchMissing},
		{"vm-3", "HV05", 7 * time.Hour, journal.StateSkipped, executor.CauseProcessorVendor}, // older than the memory
		{"vm-4", "HV05", time.Hour, journal.StateSkipped, executor.CauseCooldown},            // not a refusal
		{"vm-5", "HV05", time.Hour, journal.StateFailed, executor.CauseDoubleHop},
		{"vm-6", "HV02", 2 * time.Hour, journal.StateSucceeded, ""},
	} {
		at := now.Add(-e.ago)
		id := "p#" + e.vm
		if _, _, err := j.Intend(journal.Entry{MoveID: id, PlanID: "p", VMID: e.vm, From: "HV01", To: e.to, Intent: at}); err != nil {
			t.Fatal(err)
		}
		if e.state == journal.StateSucceeded || e.state == journal.StateFailed {
			if _, err := j.Transition(id, journal.StateStarted, at, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := j.Transition(id, e.state, at, e.cause, "entry "+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	d := &Daemon{}
	d.journal = d.keepHistory(j) // the daemon's history view, as a daemon alone reads it
	_, hist, landed, err := d.history(now, 6*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []balancer.Refusal{
		{VM: "vm-2", To: "HV06", At: now.Add(-5 * time.Hour), Cause: executor.CauseSwitchMissing},
		{VM: "vm-1", To: "HV05", At: now.Add(-time.Hour), Cause: executor.CauseStorageMissing},
	}
	if diff := cmp.Diff(want, hist.Refused, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
	if _, ok := hist.LastMoved["vm-6"]; !ok || len(hist.LastMoved) != 1 {
		t.Errorf("last moved %v, want vm-6 only", hist.LastMoved)
	}
	if want := now.Add(-2 * time.Hour); !landed.Equal(want) {
		t.Errorf("the newest migration landed at %v, want %v (vm-6's end)", landed, want)
	}
}

// TestHistoryCountsEveryMoveOfTheDay: on a day with more migrations than the
// policy's lists hold, the lists keep the newest historyLimit moves (and
// failures, which queued and skipped entries do not crowd out), while each
// VM's count of the day's moves covers all of them: the VM moved first and
// most often, whose moves fell out of the list, still counts every one.
// Moves that ended more than a day ago are neither listed nor counted.
// The planner's migrations, for its hysteresis per host pair, are the same
// newest historyLimit moves.
func TestHistoryCountsEveryMoveOfTheDay(t *testing.T) {
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	seq := 0
	record := func(vm string, ago time.Duration, states ...journal.State) {
		t.Helper()
		seq++
		id := fmt.Sprintf("p#%d", seq)
		at := now.Add(-ago)
		if _, _, err := j.Intend(journal.Entry{MoveID: id, PlanID: "p", VMID: vm, From: "HV01", To: "HV02", Trigger: balancer.TriggerBalance, Intent: at}); err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if _, err := j.Transition(id, s, at, "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	moved := []journal.State{journal.StateStarted, journal.StateSucceeded}
	record("busy", 30*time.Hour, moved...) // yesterday: not counted
	for i := range 4 {                     // the oldest of today's moves
		record("busy", 20*time.Hour-time.Duration(i)*time.Minute, moved...)
	}
	record("flaky", 19*time.Hour, journal.StateStarted, journal.StateFailed)
	for i := range historyLimit {
		record(fmt.Sprintf("vm-%03d", i), 10*time.Hour-time.Duration(i)*time.Second, moved...)
	}
	for range historyLimit { // neither moves nor failures: not listed
		record("waiting", time.Hour, journal.StateSkipped)
	}
	record("busy", time.Minute, moved...) // the newest
	d := &Daemon{}
	d.journal = d.keepHistory(j) // the daemon's history view, as a daemon alone reads it
	h, hist, _, err := d.history(now, 6*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Moved) != historyLimit {
		t.Errorf("the planner has %d migrations, want the newest %d", len(hist.Moved), historyLimit)
	}
	if len(hist.Moved) > 0 {
		want := balancer.Migration{VM: "busy", From: "HV01", To: "HV02", Trigger: balancer.TriggerBalance, At: now.Add(-time.Minute)}
		if got := hist.Moved[0]; got.VM != want.VM || got.From != want.From || got.To != want.To || got.Trigger != want.Trigger || !got.At.Equal(want.At) {
			t.Errorf("the planner's newest migration is %+v, want %+v", got, want)
		}
	}
	if len(h.Moves) != historyLimit {
		t.Errorf("%d moves listed, want the newest %d", len(h.Moves), historyLimit)
	}
	if len(h.Moves) > 0 && (h.Moves[0].VM != "busy" || h.Moves[len(h.Moves)-1].VM != "vm-001") {
		t.Errorf("moves listed from %s to %s, want from busy (the newest) to vm-001", h.Moves[0].VM, h.Moves[len(h.Moves)-1].VM)
	}
	if len(h.Failures) != 1 || h.Failures[0].VM != "flaky" {
		t.Errorf("failures %v, want flaky's (older than the moves listed, and not crowded out)", h.Failures)
	}
	if got := h.MovesByVM["busy"]; got != 5 {
		t.Errorf("busy moved %d times today, want 5 (four beyond the list, the newest in it; not yesterday's)", got)
	}
	if got, n := h.MovesByVM["vm-000"], len(h.MovesByVM); got != 1 || n != historyLimit+1 {
		t.Errorf("vm-000 (not listed) counted %d, %d VMs counted: want 1 and %d", got, n, historyLimit+1)
	}
	for _, vm := range []string{"flaky", "waiting"} {
		if n, ok := h.MovesByVM[vm]; ok {
			t.Errorf("%s counted %d moves, want none: it never moved", vm, n)
		}
	}
}
