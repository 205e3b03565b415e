package daemon

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
)

// countingJournal counts the journal's listings: the reads the history
// view is there to spare.
type countingJournal struct {
	journal.Store
	listings *atomic.Int64
}

func (j countingJournal) Entries(limit int, keep func(journal.Entry) bool) ([]journal.Entry, error) {
	j.listings.Add(1)
	return j.Store.Entries(limit, keep)
}

// historyStores are the journals the history view is proven on: the
// local file and real embedded etcd.
func historyStores(t testing.TB) map[string]journal.Store {
	t.Helper()
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	c := etcdtest.Start(t, 1)
	return map[string]journal.Store{
		"bbolt": j,
		"etcd":  etcdjournal.New(c.Client(t), etcdjournal.Options{Prefix: "/site/"}),
	}
}

// fillHistory journals queued moves that never ran (as a long-lived
// journal holds many entries the history lists nothing of) and finals
// outcomes over the three days before now, in an order of sequence
// numbers unlike that of their ends: migrations, failures, Compare-VM's
// refusals (some of queued moves), and skips for another cause.
func fillHistory(t testing.TB, j journal.Store, now time.Time, queued, finals int) {
	t.Helper()
	const batch = 500
	for lo := 0; lo < queued; lo += batch {
		var es []journal.Entry
		for i := lo; i < min(lo+batch, queued); i++ {
			es = append(es, journal.Entry{MoveID: fmt.Sprintf("old#%d", i), PlanID: "old", VMID: fmt.Sprintf("vm-%d", i%997),
				From: "HV01", To: "HV02", Trigger: "balance", Intent: now.Add(-10 * 24 * time.Hour)})
		}
		if _, err := j.Queue(es); err != nil {
			t.Fatal(err)
		}
	}
	for i := range finals {
		at := now.Add(-time.Duration(i*7919%(72*60)) * time.Minute)
		outcome(t, j, i, at)
	}
}

// outcome journals the i-th outcome of fillHistory, ended at at.
func outcome(t testing.TB, j journal.Store, i int, at time.Time) {
	t.Helper()
	id, vm := fmt.Sprintf("m#%d", i), fmt.Sprintf("vm-%d", i*7%311)
	steps := []struct {
		to    journal.State
		cause string
	}{{journal.StateStarted, ""}, {journal.StateSucceeded, ""}}
	switch i % 10 {
	case 6:
		steps[1] = struct {
			to    journal.State
			cause string
		}{journal.StateFailed, executor.CauseDoubleHop}
	case 7:
		steps = steps[:1]
		steps[0].to, steps[0].cause = journal.StateSkipped, executor.CauseStorageMissing
	case 8:
		steps = steps[:1]
		steps[0].to, steps[0].cause = journal.StateSkipped, executor.CauseCooldown
	case 9: // a queued move refused when its turn came
		id = fmt.Sprintf("old#%d", i)
		steps = steps[:1]
		steps[0].to, steps[0].cause = journal.StateSkipped, executor.CauseSwitchMissing
	}
	if i%10 != 9 {
		e := journal.Entry{MoveID: id, PlanID: "p", VMID: vm, From: fmt.Sprintf("HV%02d", i%5), To: fmt.Sprintf("HV%02d", 5+i%3), Trigger: "balance", Intent: at}
		if _, _, err := j.Intend(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range steps {
		if _, err := j.Transition(id, s.to, at, s.cause, "outcome "+id); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHistoryViewMatchesTheJournal: on the local file and on etcd, the
// round's history from the history view is the one a pass over the whole
// journal gives, after the view is read and then kept from the writes
// that follow (outcomes, some older than the day, a prune, the clock
// moving on), and when it must be read again (a longer refusal memory, an
// outcome older than a prune's cutoff, a write that failed, a new term);
// and it reads the journal only then.
func TestHistoryViewMatchesTheJournal(t *testing.T) {
	for name, j := range historyStores(t) {
		t.Run(name, func(t *testing.T) {
			now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
			fillHistory(t, j, now, 1500, 700)
			listings := &atomic.Int64{}
			d := &Daemon{}
			w := d.keepHistory(countingJournal{Store: j, listings: listings})
			memory, term, next := 6*time.Hour, int64(1), 700
			var handed, handedCopy map[string]time.Time // the last round's, which the view must not change
			check := func(step string, wantListings int64) {
				t.Helper()
				if !maps.Equal(handed, handedCopy) {
					t.Errorf("%s: the cooldowns a round was given changed under it", step)
				}
				want, wantHist, wantLanded, err := readHistory(j, now, memory)
				if err != nil {
					t.Fatal(err)
				}
				got, gotHist, gotLanded, err := d.hist.read(now, memory, term)
				if err != nil {
					t.Fatal(err)
				}
				eq := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
				if diff := cmp.Diff(want, got, eq); diff != "" {
					t.Errorf("%s: policy history (-journal +view):\n%s", step, diff)
				}
				if diff := cmp.Diff(wantHist, gotHist, eq); diff != "" {
					t.Errorf("%s: planner history (-journal +view):\n%s", step, diff)
				}
				handed, handedCopy = gotHist.LastMoved, maps.Clone(gotHist.LastMoved)
				if !gotLanded.Equal(wantLanded) {
					t.Errorf("%s: landed %v, want %v", step, gotLanded, wantLanded)
				}
				if n := listings.Load(); n != wantListings {
					t.Errorf("%s: the view listed the journal %d times in all, want %d", step, n, wantListings)
				}
				if len(want.Moves) == 0 || len(wantHist.Refused) == 0 || len(want.Failures) == 0 {
					t.Fatalf("%s: the journal gives %d moves, %d failures, %d refusals: the comparison proves little", step, len(want.Moves), len(want.Failures), len(wantHist.Refused))
				}
			}
			more := func(n int, at time.Time) {
				for range n {
					outcome(t, w, next, at)
					next++
				}
			}
			check("read", 1)
			more(40, now.Add(-time.Minute))
			more(10, now.Add(-30*time.Hour)) // ended before the day: only the cooldown's
			check("kept from outcomes", 1)
			now = now.Add(6 * time.Hour)
			more(20, now)
			check("the clock moved on", 1)
			if n, err := w.Prune(now.Add(-40 * time.Hour)); err != nil || n == 0 {
				t.Fatalf("prune: %d removed, %v", n, err)
			}
			check("pruned", 1)
			more(10, now.Add(-50*time.Hour)) // older than the prune's cutoff
			check("an outcome older than a prune", 2)
			memory = 48 * time.Hour
			check("a longer memory", 3)
			memory = 6 * time.Hour
			check("a shorter memory", 3)
			if _, err := w.Transition("no such move", journal.StateSucceeded, now, "", ""); !errors.Is(err, journal.ErrNotFound) {
				t.Fatalf("a transition of no move: %v", err)
			}
			check("a write that failed", 4)
			term = 2
			check("a new term", 5)
			more(10, now)
			check("kept in the new term", 5)
		})
	}
}
