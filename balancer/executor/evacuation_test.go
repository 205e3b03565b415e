package executor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// TestEvacuationsHaveTheirOwnBudget: with balancing paced at one move a
// minute (burst 1) and per_host_cap 2, a host in maintenance whose own
// limit is 4 runs 4 evacuations at once, started before the balancing
// moves queued ahead of them; a freed slot goes to its next VM at once,
// while balancing waits for its token. Without the host in maintenance
// the same queue starts one move: the ordinary bucket and cap hold.
func TestEvacuationsHaveTheirOwnBudget(t *testing.T) {
	for _, tc := range []struct {
		name        string
		maintenance bool
		wantFirst   int // moves started by the first pass
		wantOut     int // of them out of M
	}{
		{"host in maintenance", true, 5, 4},
		{"no host in maintenance", false, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{
				MaxConcurrent: 10, PerHostCap: 2,
				HostLimit:  func(h string) int { return map[string]int{"M": 4}[h] },
				Rate:       rate.Every(time.Minute),
				Burst:      1,
				Evacuating: func(h string) bool { return tc.maintenance && h == "M" },
			}, nil)
			gate := r.fleet.gated()
			var planned []moves.Move
			for i := range 2 {
				name := fmt.Sprint("b", i)
				r.vms(name + "@A" + name)
				planned = append(planned, mv(name, "A"+name, "B"+name))
			}
			for i := range 6 {
				name := fmt.Sprint("e", i)
				r.vms(name + "@M")
				planned = append(planned, mv(name, "M", "D"+name))
			}
			ids := r.submit("p", planned...)
			ctx := context.Background()
			r.e.step(ctx, ctx)
			held := map[string]*fakeMigration{}
			for len(held) < tc.wantFirst {
				c := <-gate
				held[c.m.VM] = c
			}
			if want := tc.wantOut + map[bool]int{true: 1}[tc.maintenance]; fromM(r) != want {
				t.Errorf("%d evacuations hold slots, want %d: the next VM of M checked while its %d slots migrate", fromM(r), want, tc.wantOut)
			}
			out := 0
			for _, c := range held {
				if c.m.From == "M" {
					out++
				}
			}
			if len(held) != tc.wantFirst || out != tc.wantOut {
				t.Fatalf("first pass started %d moves, %d out of M; want %d, %d", len(held), out, tc.wantFirst, tc.wantOut)
			}
			if !tc.maintenance {
				for _, c := range held {
					c.done <- nil
				}
				return
			}
			// One evacuation ends: the staged VM of M takes its slot at
			// once, without a pass over the queue, on the same clock, while
			// the second balancing move still waits for its token.
			for vm, c := range held {
				if c.m.From == "M" {
					c.done <- nil
					delete(held, vm)
					break
				}
			}
			c := <-gate
			if c.m.From != "M" {
				t.Fatalf("the freed slot went to %s from %s, want the next VM of M", c.m.VM, c.m.From)
			}
			held[c.m.VM] = c
			r.until("the ended move releases its slots", func() bool { return fromM(r) == 4 })
			r.e.step(ctx, ctx) // the next VM of M runs its checks ahead
			if fromM(r) != 5 {
				t.Errorf("%d evacuations hold slots after one ended, want 5", fromM(r))
			}
			if n := r.fleet.maxHostBusy["M"]; n != 4 {
				t.Errorf("M ran %d migrations at once, want its own limit 4", n)
			}
			for _, c := range held {
				c.done <- nil
			}
			// The rest of the evacuation runs; balancing gets its token a
			// minute later.
			r.clock.Advance(time.Minute)
			go func() {
				for c := range gate {
					c.done <- nil
				}
			}()
			defer close(gate)
			ended := func() bool {
				for _, id := range ids {
					if !r.outcome(id).State.Final() {
						return false
					}
				}
				return true
			}
			for i := 0; !ended(); i++ {
				if i > 1000 {
					t.Fatal("the queue never emptied")
				}
				r.e.step(ctx, ctx)
				r.e.wg.Wait()
			}
			for i, id := range ids {
				if got := r.outcome(id); got.State != journal.StateSucceeded {
					t.Errorf("%s (%s): %+v", id, planned[i].VM, got)
				}
			}
			if got := testutil.ToFloat64(r.e.metrics.evacuations); got != 6 {
				t.Errorf("evacuations started %v, want 6", got)
			}
		})
	}
}

// TestEvacuationsLargestFirst: a draining host with one slot starts its
// VMs largest first, whatever their order in the plan, so that no large
// VM runs alone at the end of the evacuation.
func TestEvacuationsLargestFirst(t *testing.T) {
	r := newRig(t, Config{
		MaxConcurrent: 10, PerHostCap: 2,
		HostLimit:  func(h string) int { return map[string]int{"M": 1}[h] },
		Evacuating: func(h string) bool { return h == "M" },
	}, nil)
	var planned []moves.Move
	for i, gib := range []int64{1, 4, 2, 3} {
		name := fmt.Sprint("e", i)
		r.vms(name + "@M")
		m := mv(name, "M", "D"+name)
		m.Bytes = gib << 30
		planned = append(planned, m)
	}
	r.submit("p", planned...)
	for range planned {
		r.pass()
	}
	var order []int64
	for _, m := range r.fleet.moved {
		order = append(order, m.Bytes>>30)
	}
	if fmt.Sprint(order) != "[4 3 2 1]" {
		t.Errorf("started %v GiB in that order, want the largest first [4 3 2 1]", order)
	}
}

// fromM counts the moves out of M that hold the executor's slots.
func fromM(r *rig) int {
	n := 0
	for _, f := range r.e.Status().InFlight {
		if f.From == "M" {
			n++
		}
	}
	return n
}
