package executor

import "github.com/hvbalancer/hvbalancer/balancer/moves"

// Evacuations are the moves out of a host in maintenance (Config.
// Evacuating). An administrator who puts a host in maintenance waits for
// it to empty, so its moves are not held back by the limits that pace
// balancing: they take tokens from their own bucket (EvacuationRate), so
// that migrations_per_minute never throttles them and balancing never
// spends their tokens; the draining host runs as many at once as its own
// MaximumVirtualMachineMigrations allows, PerHostCap aside (that cap
// spreads balancing's load; a host in maintenance serves no VM worth
// sparing); and a pass over the queue starts them before any other move,
// whatever their order in the plan, so that a slot freed on the draining
// host goes to the next of its VMs at once. MaxConcurrent, the
// destination's slots and the breakers hold for them as for any move.

// minEvacuationBurst is the least size of the evacuations' token bucket:
// the slots of a draining host fill at once rather than one token apart.
const minEvacuationBurst = 8

// evacuationBurst is the evacuations' bucket size for the configured
// burst.
func evacuationBurst(burst int) int { return max(burst, minEvacuationBurst) }

// evacuationLocked reports whether m is an evacuation: its source is in
// maintenance now.
func (e *Executor) evacuationLocked(m moves.Move) bool { return e.cfg.Evacuating(m.From) }

// evacuationsFirstLocked returns the queue with the evacuations first,
// each kind in queue order.
func (e *Executor) evacuationsFirstLocked() []*job {
	out := make([]*job, 0, len(e.queue))
	var rest []*job
	for _, j := range e.queue {
		if e.evacuationLocked(j.m) {
			out = append(out, j)
		} else {
			rest = append(rest, j)
		}
	}
	return append(out, rest...)
}
