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
			for len(held) < len(r.e.Status().InFlight) {
				c := <-gate
				held[c.m.VM] = c
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
			// One evacuation ends: the next VM of M takes its slot at once,
			// on the same clock, while the second balancing move still
			// waits for its token.
			for vm, c := range held {
				if c.m.From == "M" {
					c.done <- nil
					delete(held, vm)
					break
				}
			}
			r.until("the slot frees", func() bool { return len(r.e.Status().InFlight) == len(held) })
			r.e.step(ctx, ctx)
			c := <-gate
			if c.m.From != "M" {
				t.Fatalf("the freed slot went to %s from %s, want the next VM of M", c.m.VM, c.m.From)
			}
			held[c.m.VM] = c
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
