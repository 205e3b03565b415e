package journaltest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// testReconciled: an outcome learned after the unknown state is marked
// reconciled and keeps the cause of the loss; the entry reads back whole.
func testReconciled(t *testing.T, h Harness) {
	j, _ := open(t, h)
	in := intend(t, j, NewEntry("m", "vm"))
	transition(t, j, "m", journal.StateStarted, T0, "", "")
	transition(t, j, "m", journal.StateUnknown, T0.Add(time.Minute), "connection_lost", "wsman: EOF")
	e := transition(t, j, "m", journal.StateSucceeded, T0.Add(2*time.Minute), "", "")
	want := NewEntry("m", "vm")
	want.State, want.Cause, want.Error, want.Reconciled = journal.StateSucceeded, "connection_lost", "wsman: EOF", true
	want.Started, want.Ended, want.Seq = T0, T0.Add(2*time.Minute), in.Seq
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, entry(t)(j.Get("m"))); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

// testMissing: an unknown move id is ErrNotFound; an entry without a move
// id is refused, and a batch holding one journals nothing.
func testMissing(t *testing.T, h Harness) {
	j, _ := open(t, h)
	if _, err := j.Get("nope"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if _, err := j.Transition("nope", journal.StateStarted, T0, "", ""); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Transition: %v, want ErrNotFound", err)
	}
	if _, _, err := j.Intend(NewEntry("", "vm")); !errors.Is(err, journal.ErrMissingMoveID) {
		t.Errorf("Intend: %v, want ErrMissingMoveID", err)
	}
	if _, err := j.Queue([]journal.Entry{NewEntry("a", "vm"), NewEntry("", "vm")}); !errors.Is(err, journal.ErrMissingMoveID) {
		t.Errorf("Queue: %v, want ErrMissingMoveID", err)
	}
	if all := entries(t)(j.Entries(0, nil)); len(all) != 0 {
		t.Errorf("a refused batch journaled %v", ids(all))
	}
}

// testQueries: Unresolved (oldest first), Entries (newest first, limit,
// keep), LastMoved, and Prune (only final entries ended before the cutoff).
func testQueries(t *testing.T, h Harness) {
	j, _ := open(t, h)
	for i, id := range []string{"a", "b", "c", "d"} {
		e := NewEntry(id, "vm-"+id)
		e.Intent = T0.Add(time.Duration(i) * time.Minute)
		intend(t, j, e)
	}
	transition(t, j, "a", journal.StateStarted, T0, "", "")
	transition(t, j, "a", journal.StateSucceeded, T0.Add(time.Hour), "", "")
	transition(t, j, "b", journal.StateSkipped, T0, "", "stale")
	transition(t, j, "c", journal.StateStarted, T0, "", "")
	if diff := cmp.Diff([]string{"c", "d"}, ids(entries(t)(j.Unresolved()))); diff != "" {
		t.Errorf("unresolved (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d", "c"}, ids(entries(t)(j.Entries(2, nil)))); diff != "" {
		t.Errorf("newest two (-want +got):\n%s", diff)
	}
	final := func(e journal.Entry) bool { return e.State.Final() }
	if diff := cmp.Diff([]string{"b"}, ids(entries(t)(j.Entries(1, final)))); diff != "" {
		t.Errorf("newest final (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]time.Time{"vm-a": T0.Add(time.Hour)}, lastMoved(t, j)); diff != "" {
		t.Errorf("last moved (-want +got):\n%s", diff)
	}
	if n, err := j.Prune(T0.Add(30 * time.Minute)); err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want only b, ended before the cutoff", n, err)
	}
	if n, err := j.Prune(T0.Add(2 * time.Hour)); err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want a", n, err)
	}
	if diff := cmp.Diff([]string{"d", "c"}, ids(entries(t)(j.Entries(0, nil)))); diff != "" {
		t.Errorf("after prune (-want +got):\n%s", diff)
	}
	if _, err := j.Get("a"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("pruned entry: %v, want ErrNotFound", err)
	}
	if n, err := j.Prune(T0.Add(48 * time.Hour)); err != nil || n != 0 {
		t.Errorf("pruned %d, %v; the unresolved entries must stay", n, err)
	}
}

// testQueued: Queue journals new move ids once (also within one batch),
// Queued lists them oldest first, they are not unresolved, Intend turns
// one into the intent once, and a queued move may be skipped but reach no
// outcome without its intent.
func testQueued(t *testing.T, h Harness) {
	j, _ := open(t, h)
	created, err := j.Queue([]journal.Entry{NewEntry("plan-1/0", "vm-a"), NewEntry("plan-1/1", "vm-b"), NewEntry("plan-1/2", "vm-c")})
	if err != nil || !cmp.Equal(created, []bool{true, true, true}) {
		t.Fatalf("Queue: %v %v", created, err)
	}
	created, err = j.Queue([]journal.Entry{NewEntry("plan-1/1", "vm-b"), NewEntry("plan-1/3", "vm-d"), NewEntry("plan-1/3", "vm-d")})
	if err != nil || !cmp.Equal(created, []bool{false, true, false}) {
		t.Errorf("Queue again: %v %v, want only the new id created, once", created, err)
	}
	q := entries(t)(j.Queued())
	if diff := cmp.Diff([]string{"plan-1/0", "plan-1/1", "plan-1/2", "plan-1/3"}, ids(q)); diff != "" {
		t.Errorf("Queued (-want +got):\n%s", diff)
	}
	for _, e := range q {
		if e.State != journal.StateQueued || e.Bytes != 4<<30 {
			t.Errorf("%s: %s, %d bytes", e.MoveID, e.State, e.Bytes)
		}
	}
	if un := entries(t)(j.Unresolved()); len(un) != 0 {
		t.Errorf("Unresolved: %v, want none", ids(un))
	}
	if _, err := j.Transition("plan-1/0", journal.StateSucceeded, T0, "", ""); !errors.Is(err, journal.ErrBadTransition) {
		t.Errorf("queued to succeeded: %v, want ErrBadTransition", err)
	}
	in, created1, err := j.Intend(NewEntry("plan-1/0", "vm-a"))
	if err != nil || !created1 || in.State != journal.StateIntent || in.Seq != q[0].Seq {
		t.Errorf("intent of a queued move: %+v created=%v err=%v", in, created1, err)
	}
	if _, again, _ := j.Intend(NewEntry("plan-1/0", "vm-a")); again {
		t.Error("a queued move's intent was journaled twice")
	}
	transition(t, j, "plan-1/1", journal.StateSkipped, T0, "stale", "x")
	if diff := cmp.Diff([]string{"plan-1/0"}, ids(entries(t)(j.Unresolved()))); diff != "" {
		t.Errorf("Unresolved (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"plan-1/2", "plan-1/3"}, ids(entries(t)(j.Queued()))); diff != "" {
		t.Errorf("Queued after (-want +got):\n%s", diff)
	}
}

// testMany journals more entries than a listing's page (and one
// transaction of Queue) holds, and reads them back newest first.
func testMany(t *testing.T, h Harness) {
	const n = 230
	j, _ := open(t, h)
	var es []journal.Entry
	for i := range n {
		es = append(es, NewEntry(fmt.Sprintf("plan-2/%03d", i), fmt.Sprintf("vm-%03d", i)))
	}
	created := bools(t)(j.Queue(es))
	for i, c := range created {
		if !c {
			t.Fatalf("%s not created", es[i].MoveID)
		}
	}
	for i := 0; i < n; i += 3 {
		intend(t, j, es[i])
	}
	all := entries(t)(j.Entries(0, nil))
	if len(all) != n {
		t.Fatalf("%d entries, want %d", len(all), n)
	}
	for i, e := range all {
		if want := es[n-1-i].MoveID; e.MoveID != want {
			t.Fatalf("entry %d: %s, want %s (newest first)", i, e.MoveID, want)
		}
		if i > 0 && e.Seq >= all[i-1].Seq {
			t.Fatalf("entry %d: seq %d after %d", i, e.Seq, all[i-1].Seq)
		}
	}
	if got := entries(t)(j.Entries(7, nil)); !cmp.Equal(ids(got), ids(all[:7])) {
		t.Errorf("newest 7: %v", ids(got))
	}
	if q, un := entries(t)(j.Queued()), entries(t)(j.Unresolved()); len(q) != n-(n+2)/3 || len(un) != (n+2)/3 || un[0].MoveID != es[0].MoveID {
		t.Errorf("%d queued and %d unresolved, want %d and %d", len(q), len(un), n-(n+2)/3, (n+2)/3)
	}
}
