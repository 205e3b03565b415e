package daemon

import (
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
	d := &Daemon{journal: j}
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
