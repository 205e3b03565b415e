package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// TestExecutorConcurrencyLimits holds every migration at a gate and lets
// them end one at a time, in random order. After every pass: no more than
// MaxConcurrent in flight, no more than min(HostLimit, PerHostCap) touching
// any host, and no queued move that fits every limit left waiting (the
// queue streams: one move ending lets the next start while the others run).
func TestExecutorConcurrencyLimits(t *testing.T) {
	hostLimit := map[string]int{"H1": 1, "H2": 2, "H3": 3, "H4": 5, "H5": 0, "H6": 2}
	hosts := []string{"H1", "H2", "H3", "H4", "H5", "H6"}
	tests := []struct {
		name          string
		maxConcurrent int
		perHostCap    int
	}{
		{"default limits", 4, 2},
		{"wide", 8, 3},
		{"one at a time per host", 3, 1},
		{"one at a time", 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{
				MaxConcurrent: tc.maxConcurrent, PerHostCap: tc.perHostCap,
				HostLimit: func(h string) int { return hostLimit[h] },
			}, nil)
			limit := func(h string) int {
				l := hostLimit[h]
				if l <= 0 {
					l = 2
				}
				return min(l, tc.perHostCap)
			}
			gate := r.fleet.gated()
			var planned []moves.Move
			for i := range 30 {
				from, to := hosts[i%6], hosts[(i/6+i+1)%6]
				if from == to {
					to = hosts[(i+3)%6]
				}
				name := fmt.Sprintf("%02d", i)
				r.vms(name + "@" + from)
				planned = append(planned, mv(name, from, to))
			}
			ids := r.submit("p", planned...)
			rnd := rand.New(rand.NewPCG(7, uint64(tc.maxConcurrent)))
			ctx := context.Background()
			held := map[string]*fakeMigration{}
			most := 0
			for range 30 {
				r.e.step(ctx, ctx)
				st := r.e.Status()
				for len(held) < len(st.InFlight) {
					c := <-gate
					held[c.m.VM] = c
				}
				busy := map[string]int{}
				for _, c := range held {
					busy[c.m.From]++
					busy[c.m.To]++
				}
				most = max(most, len(held))
				if len(held) > tc.maxConcurrent {
					t.Fatalf("%d migrations in flight, limit %d", len(held), tc.maxConcurrent)
				}
				for h, n := range busy {
					if n > limit(h) {
						t.Fatalf("%d migrations touch %s, limit %d", n, h, limit(h))
					}
				}
				for _, q := range st.Queued {
					if len(held) < tc.maxConcurrent && busy[q.Move.From] < limit(q.Move.From) && busy[q.Move.To] < limit(q.Move.To) {
						t.Fatalf("%s waits though every limit allows it", q.MoveID)
					}
				}
				keys := make([]string, 0, len(held))
				for k := range held {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				k := keys[rnd.IntN(len(keys))]
				held[k].done <- nil
				delete(held, k)
				r.until("a slot frees", func() bool { return len(r.e.Status().InFlight) == len(held) })
			}
			if most < 2 && tc.maxConcurrent > 1 {
				t.Errorf("never more than %d in flight: the test proves nothing", most)
			}
			if r.fleet.maxInFlight > tc.maxConcurrent {
				t.Errorf("migrator saw %d at once, limit %d", r.fleet.maxInFlight, tc.maxConcurrent)
			}
			for h, n := range r.fleet.maxHostBusy {
				if n > limit(h) {
					t.Errorf("migrator saw %d at once on %s, limit %d", n, h, limit(h))
				}
			}
			for i, id := range ids {
				if got := r.outcome(id); got.State != journal.StateSucceeded {
					t.Errorf("%s: %+v", id, got)
				}
				if n := r.fleet.callsOf(planned[i].VM); n != 1 {
					t.Errorf("%s migrated %d times", planned[i].VM, n)
				}
			}
		})
	}
}

// TestExecutorRunStreams proves through Run that a freed slot is used at
// once: with three in flight, the fourth starts when one of them ends,
// while the other two still run.
func TestExecutorRunStreams(t *testing.T) {
	r := newRig(t, Config{MaxConcurrent: 3, PerHostCap: 10}, nil)
	gate := r.fleet.gated()
	var planned []moves.Move
	for i := range 6 {
		name := fmt.Sprint(i)
		r.vms(name + "@S" + name)
		planned = append(planned, mv(name, "S"+name, "D"+name))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.e.Run(ctx) }()
	ids := r.submit("p", planned...)
	running := []*fakeMigration{<-gate, <-gate, <-gate}
	running[1].done <- nil
	fourth := <-gate
	for _, c := range []*fakeMigration{running[0], running[2]} {
		if got := r.outcome(ids[slices.IndexFunc(planned, func(m moves.Move) bool { return m.VM == c.m.VM })]); got.State != journal.StateStarted {
			t.Errorf("%s is %s while the fourth started, want it still running", c.m.VM, got.State)
		}
	}
	for _, c := range []*fakeMigration{running[0], running[2], fourth} {
		c.done <- nil
	}
	for range 2 {
		(<-gate).done <- nil
	}
	es, err := r.e.Wait(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range es {
		if en.State != journal.StateSucceeded {
			t.Errorf("%s: %s", en.MoveID, en.State)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

// TestExecutorTokenBucket proves the token bucket on a fake clock: a burst
// of two, then one move a minute.
func TestExecutorTokenBucket(t *testing.T) {
	r := newRig(t, Config{
		MaxConcurrent: 10, PerHostCap: 10, HostLimit: func(string) int { return 10 },
		Rate: rate.Every(time.Minute), Burst: 2,
	}, nil)
	var moves []moves.Move
	for i := range 5 {
		name := fmt.Sprint(i)
		r.vms(name + "@A")
		moves = append(moves, mv(name, "A", "B"))
	}
	ids := r.submit("p", moves...)
	done := func() int {
		n := 0
		for _, id := range ids {
			if r.outcome(id).State == journal.StateSucceeded {
				n++
			}
		}
		return n
	}
	ctx := context.Background()
	steps := []struct {
		advance  time.Duration
		wantDone int
		wantWait time.Duration // what Run would sleep for before the next token
	}{
		{0, 2, time.Minute},
		{0, 2, time.Minute},
		{59 * time.Second, 2, time.Second},
		{time.Second, 3, time.Minute},
		{10 * time.Minute, 5, 0},
	}
	for i, s := range steps {
		r.clock.Advance(s.advance)
		wait := r.e.step(ctx, ctx)
		r.e.wg.Wait()
		if got := done(); got != s.wantDone || wait != s.wantWait {
			t.Errorf("step %d: %d done, wait %s; want %d, %s", i, got, wait, s.wantDone, s.wantWait)
		}
	}
}

// TestExecutorPauseResume proves that a paused executor starts nothing and
// keeps its queue, and that Resume lets the queue go on.
func TestExecutorPauseResume(t *testing.T) {
	r := newRig(t, Config{}, nil)
	r.vms("a@A")
	ids := r.submit("p", mv("a", "A", "B"))
	r.e.Pause("change freeze")
	r.pass()
	if paused, why := r.e.Paused(); !paused || why != "change freeze" {
		t.Errorf("Paused() = %v, %q", paused, why)
	}
	st := r.e.Status()
	if !st.Paused || len(st.Queued) != 1 || r.fleet.callsOf("vm-a") != 0 {
		t.Errorf("paused: status %+v, %d calls", st, r.fleet.callsOf("vm-a"))
	}
	if got := r.outcome(ids[0]).State; got != journal.StateQueued {
		t.Errorf("paused move journaled as %s, want queued", got)
	}
	r.e.Resume()
	r.pass()
	if got := r.outcome(ids[0]); got.State != journal.StateSucceeded {
		t.Errorf("after resume: %+v", got)
	}
	if diff := cmp.Diff([]EventKind{EventQueued, EventStarted, EventSucceeded}, r.kinds(ids[0])); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
