package journaltest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// racers is how many writers race on one move.
const racers = 6

// writers returns n writers over the storage of first: journals of their
// own when the store is shared, else first n times.
func writers(t *testing.T, h Harness, o Opener, first journal.Store, n int) []journal.Store {
	out := []journal.Store{first}
	for len(out) < n {
		if !h.Shared {
			out = append(out, first)
			continue
		}
		j := o(t)
		t.Cleanup(func() { j.Close() })
		out = append(out, j)
	}
	return out
}

// race runs f for every writer at once, after all are ready.
func race(ws []journal.Store, f func(i int, j journal.Store)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, j := range ws {
		wg.Go(func() {
			<-start
			f(i, j)
		})
	}
	close(start)
	wg.Wait()
}

// testRaceIntend: writers intending the same move at once (new or
// queued): exactly one creates the intent, one entry per decision.
func testRaceIntend(t *testing.T, h Harness) {
	first, o := open(t, h)
	ws := writers(t, h, o, first, racers)
	for round := range 5 {
		id := fmt.Sprintf("plan-3/%d", round)
		if round%2 == 1 { // half the moves were queued first
			bools(t)(first.Queue([]journal.Entry{NewEntry(id, "vm")}))
		}
		var mu sync.Mutex
		won, errs := 0, []error{}
		race(ws, func(_ int, j journal.Store) {
			_, created, err := j.Intend(NewEntry(id, "vm"))
			mu.Lock()
			defer mu.Unlock()
			if created {
				won++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
		if won != 1 || len(errs) > 0 {
			t.Errorf("%s: %d writers created the intent (errors %v), want exactly one", id, won, errs)
		}
	}
	all := entries(t)(first.Entries(0, nil))
	if len(all) != 5 {
		t.Errorf("%d entries for 5 decisions: %v", len(all), ids(all))
	}
	for _, e := range all {
		if e.State != journal.StateIntent {
			t.Errorf("%s: %s", e.MoveID, e.State)
		}
	}
}

// testRaceTransition: writers recording different outcomes of one
// started migration at once: exactly one outcome is recorded, the
// winner's; the others are refused as transitions out of an outcome.
func testRaceTransition(t *testing.T, h Harness) {
	first, o := open(t, h)
	ws := writers(t, h, o, first, racers)
	intend(t, first, NewEntry("m", "vm"))
	transition(t, first, "m", journal.StateStarted, T0, "", "")
	// Each writer reports its own outcome of the same migration: one
	// outcome is recorded, the others are refused as transitions out of
	// an outcome.
	outcomes := []journal.State{journal.StateSucceeded, journal.StateFailed}
	var mu sync.Mutex
	var winners []int
	race(ws, func(i int, j journal.Store) {
		_, err := j.Transition("m", outcomes[i%len(outcomes)], T0.Add(time.Duration(i+1)*time.Second), "", fmt.Sprint("writer ", i))
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			winners = append(winners, i)
		case !errors.Is(err, journal.ErrBadTransition):
			t.Errorf("writer %d: %v, want success or ErrBadTransition", i, err)
		}
	})
	e := entry(t)(first.Get("m"))
	if len(winners) != 1 || e.Error != fmt.Sprint("writer ", winners[0]) || e.State != outcomes[winners[0]%len(outcomes)] {
		t.Errorf("winners %v, final %s by %q: want exactly one outcome, the winner's", winners, e.State, e.Error)
	}
}

// testRaceQueue: writers queuing overlapping batches at once: each move
// id is created exactly once.
func testRaceQueue(t *testing.T, h Harness) {
	first, o := open(t, h)
	ws := writers(t, h, o, first, racers)
	const moves = 60
	counts := make([]int, moves)
	var mu sync.Mutex
	race(ws, func(i int, j journal.Store) {
		var es []journal.Entry
		for k := range moves { // every writer queues every move, from another starting point
			m := (k + i*7) % moves
			es = append(es, NewEntry(fmt.Sprintf("plan-4/%02d", m), "vm"))
		}
		created, err := j.Queue(es)
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for k, c := range created {
			if c {
				counts[(k+i*7)%moves]++
			}
		}
	})
	want := make([]int, moves)
	for i := range want {
		want[i] = 1
	}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("times each move was queued (-want +got):\n%s", diff)
	}
	if q := entries(t)(first.Queued()); len(q) != moves {
		t.Errorf("%d queued, want %d", len(q), moves)
	}
}

// testReopen: closing and opening again keeps every entry, the queued
// and unresolved ones, LastMoved, every decision (no intent again) and the
// order of sequence numbers.
func testReopen(t *testing.T, h Harness) {
	o := h.Fresh(t)
	j := o(t)
	bools(t)(j.Queue([]journal.Entry{NewEntry("q", "vm-q")}))
	for _, id := range []string{"ok", "lost", "started", "intent", "skipped"} {
		intend(t, j, NewEntry(id, "vm-"+id))
	}
	transition(t, j, "ok", journal.StateStarted, T0, "", "")
	transition(t, j, "ok", journal.StateSucceeded, T0.Add(time.Minute), "", "")
	transition(t, j, "lost", journal.StateStarted, T0, "", "")
	transition(t, j, "lost", journal.StateUnknown, T0.Add(time.Minute), "connection_lost", "EOF")
	transition(t, j, "started", journal.StateStarted, T0, "", "")
	transition(t, j, "skipped", journal.StateSkipped, T0, "stale", "moved away")
	before := entries(t)(j.Entries(0, nil))
	last := lastMoved(t, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = o(t)
	t.Cleanup(func() { j.Close() })
	if diff := cmp.Diff(before, entries(t)(j.Entries(0, nil))); diff != "" {
		t.Errorf("entries after reopening (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"lost", "started", "intent"}, ids(entries(t)(j.Unresolved()))); diff != "" {
		t.Errorf("unresolved after reopening (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"q"}, ids(entries(t)(j.Queued()))); diff != "" {
		t.Errorf("queued after reopening (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(last, lastMoved(t, j)); diff != "" {
		t.Errorf("last moved after reopening (-before +after):\n%s", diff)
	}
	for _, id := range []string{"ok", "lost", "started", "intent", "skipped"} {
		if _, created, err := j.Intend(NewEntry(id, "vm-"+id)); err != nil || created {
			t.Errorf("%s after reopening: intent created=%v err=%v, want the decision kept", id, created, err)
		}
	}
	next := intend(t, j, NewEntry("new", "vm-new"))
	if next.Seq <= before[0].Seq {
		t.Errorf("new entry's seq %d, not after %d", next.Seq, before[0].Seq)
	}
}
