package journal

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

func open(t *testing.T) (*Journal, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j, path
}

func entry(id, vm string) Entry {
	return Entry{MoveID: id, PlanID: "plan-1", VMID: vm, VMName: "web01", From: "HV01", To: "HV02", Intent: t0}
}

func TestIntentIsRecordedOnce(t *testing.T) {
	j, _ := open(t)
	first, created, err := j.Intend(entry("plan-1/1", "vm-a"))
	if err != nil || !created || first.State != StateIntent || first.Seq != 1 {
		t.Fatalf("first intent: %+v created=%v err=%v", first, created, err)
	}
	if _, err := j.Transition("plan-1/1", StateStarted, t0.Add(time.Second), "", ""); err != nil {
		t.Fatal(err)
	}
	again, created, err := j.Intend(entry("plan-1/1", "vm-a"))
	if err != nil || created || again.State != StateStarted {
		t.Errorf("second intent of the same decision: %+v created=%v err=%v", again, created, err)
	}
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name  string
		path  []State
		final State
		bad   bool
	}{
		{"success", []State{StateStarted, StateSucceeded}, StateSucceeded, false},
		{"failure", []State{StateStarted, StateFailed}, StateFailed, false},
		{"skipped before start", []State{StateSkipped}, StateSkipped, false},
		{"lost then reconciled", []State{StateStarted, StateUnknown, StateSucceeded}, StateSucceeded, false},
		{"outcome without start", []State{StateSucceeded}, StateIntent, true},
		{"no way back from an outcome", []State{StateStarted, StateSucceeded, StateStarted}, StateSucceeded, true},
		{"unknown is not skipped", []State{StateStarted, StateUnknown, StateSkipped}, StateUnknown, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, _ := open(t)
			if _, _, err := j.Intend(entry("m", "vm")); err != nil {
				t.Fatal(err)
			}
			var err error
			for i, s := range tc.path {
				if _, err = j.Transition("m", s, t0.Add(time.Duration(i+1)*time.Second), "", ""); err != nil {
					break
				}
			}
			if tc.bad != errors.Is(err, ErrBadTransition) {
				t.Errorf("err = %v, want bad transition %v", err, tc.bad)
			}
			e, _ := j.Get("m")
			if e.State != tc.final {
				t.Errorf("state %s, want %s", e.State, tc.final)
			}
		})
	}
}

func TestReconciledOutcomeIsMarked(t *testing.T) {
	j, _ := open(t)
	j.Intend(entry("m", "vm"))
	j.Transition("m", StateStarted, t0, "", "")
	j.Transition("m", StateUnknown, t0.Add(time.Minute), "connection_lost", "wsman: EOF")
	e, err := j.Transition("m", StateSucceeded, t0.Add(2*time.Minute), "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{MoveID: "m", PlanID: "plan-1", VMID: "vm", VMName: "web01", From: "HV01", To: "HV02", State: StateSucceeded,
		Cause: "connection_lost", Error: "wsman: EOF", Reconciled: true, Intent: t0, Started: t0, Ended: t0.Add(2 * time.Minute), Seq: 1}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestQueries(t *testing.T) {
	j, _ := open(t)
	for i, id := range []string{"a", "b", "c", "d"} {
		e := entry(id, "vm-"+id)
		e.Intent = t0.Add(time.Duration(i) * time.Minute)
		j.Intend(e)
	}
	j.Transition("a", StateStarted, t0, "", "")
	j.Transition("a", StateSucceeded, t0.Add(time.Hour), "", "")
	j.Transition("b", StateSkipped, t0, "", "stale")
	j.Transition("c", StateStarted, t0, "", "")

	un, err := j.Unresolved()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range un {
		ids = append(ids, e.MoveID)
	}
	if diff := cmp.Diff([]string{"c", "d"}, ids); diff != "" {
		t.Errorf("unresolved (-want +got):\n%s", diff)
	}
	recent, _ := j.Entries(2, nil)
	if len(recent) != 2 || recent[0].MoveID != "d" || recent[1].MoveID != "c" {
		t.Errorf("newest two: %+v", recent)
	}
	last, _ := j.LastMoved()
	if diff := cmp.Diff(map[string]time.Time{"vm-a": t0.Add(time.Hour)}, last); diff != "" {
		t.Errorf("last moved (-want +got):\n%s", diff)
	}
	n, err := j.Prune(t0.Add(2 * time.Hour))
	if err != nil || n != 2 {
		t.Errorf("pruned %d, %v; want the 2 final entries", n, err)
	}
	all, _ := j.Entries(0, nil)
	if len(all) != 2 {
		t.Errorf("%d entries after prune", len(all))
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	_, path := open(t)
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Errorf("err = %v, want ErrLocked", err)
	}
}

// TestSurvivesKill writes an intent and a start from a child process that is
// killed before it can close the file, then reads them back.
func TestSurvivesKill(t *testing.T) {
	if path := os.Getenv("JOURNAL_CHILD"); path != "" {
		j, err := Open(path)
		if err != nil {
			os.Exit(3)
		}
		j.Intend(entry("plan-1/1", "vm-a"))
		j.Transition("plan-1/1", StateStarted, t0, "", "")
		p, _ := os.FindProcess(os.Getpid())
		p.Kill() // no Close, no deferred work: like a crash
		select {}
	}
	path := filepath.Join(t.TempDir(), "journal.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesKill$")
	cmd.Env = append(os.Environ(), "JOURNAL_CHILD="+path)
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 3 {
		t.Fatalf("child: %v", err)
	}
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	un, err := j.Unresolved()
	if err != nil || len(un) != 1 || un[0].State != StateStarted || un[0].VMID != "vm-a" {
		t.Errorf("after the crash: %+v, %v", un, err)
	}
}

// TestQueuedMoves proves the queued state: Queue journals new move ids
// once, Queued lists them oldest first, they are not unresolved (nothing
// was sent for them), Intend turns one into the intent once, and a queued
// move may be skipped but never reach an outcome without its intent.
func TestQueuedMoves(t *testing.T) {
	j, _ := open(t)
	created, err := j.Queue([]Entry{entry("plan-1/0", "vm-a"), entry("plan-1/1", "vm-b"), entry("plan-1/2", "vm-c")})
	if err != nil || !cmp.Equal(created, []bool{true, true, true}) {
		t.Fatalf("Queue: %v %v", created, err)
	}
	if created, err = j.Queue([]Entry{entry("plan-1/1", "vm-b"), entry("plan-1/3", "vm-d")}); err != nil || !cmp.Equal(created, []bool{false, true}) {
		t.Errorf("Queue again: %v %v, want only the new id created", created, err)
	}
	q, err := j.Queued()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range q {
		ids = append(ids, e.MoveID)
		if e.State != StateQueued || e.State.Final() {
			t.Errorf("%s: %s", e.MoveID, e.State)
		}
	}
	if diff := cmp.Diff([]string{"plan-1/0", "plan-1/1", "plan-1/2", "plan-1/3"}, ids); diff != "" {
		t.Errorf("Queued (-want +got):\n%s", diff)
	}
	if un, err := j.Unresolved(); err != nil || len(un) != 0 {
		t.Errorf("Unresolved: %+v %v, want none", un, err)
	}
	if _, err := j.Transition("plan-1/0", StateSucceeded, t0, "", ""); !errors.Is(err, ErrBadTransition) {
		t.Errorf("queued to succeeded: %v, want ErrBadTransition", err)
	}
	in, created1, err := j.Intend(entry("plan-1/0", "vm-a"))
	if err != nil || !created1 || in.State != StateIntent || in.Seq != 1 {
		t.Errorf("intent of a queued move: %+v created=%v err=%v", in, created1, err)
	}
	if _, again, _ := j.Intend(entry("plan-1/0", "vm-a")); again {
		t.Error("a queued move's intent was journaled twice")
	}
	if _, err := j.Transition("plan-1/1", StateSkipped, t0, "stale", "x"); err != nil {
		t.Errorf("queued to skipped: %v", err)
	}
	if un, _ := j.Unresolved(); len(un) != 1 || un[0].MoveID != "plan-1/0" {
		t.Errorf("Unresolved: %+v, want the intent only", un)
	}
}
