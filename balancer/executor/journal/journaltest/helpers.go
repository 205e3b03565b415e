package journaltest

import (
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

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

// intend journals the intent of e, which must be new.
func intend(t *testing.T, j journal.Store, e journal.Entry) journal.Entry {
	t.Helper()
	out, created, err := j.Intend(e)
	if err != nil || !created {
		t.Fatalf("intent of %s: created=%v err=%v", e.MoveID, created, err)
	}
	return out
}
