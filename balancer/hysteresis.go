package balancer

import (
	"fmt"
	"time"
)

// backPairs returns the directions, as (source, destination) host
// indices, that send load back along a pair of hosts which moved load the
// other way within window before now: for each balancing migration of h
// that ended less than window before now (or after it), the pair (its
// destination, its source). Migrations a policy request made (evacuations
// among them) are ignored: load sent off a host in maintenance, or to meet
// a rule, comes back by balancing once the host is back or the rule met,
// and that is no flapping. So are migrations of unknown hosts; nil when
// none counts.
//
// This is the search's hysteresis per host pair (see pass.heldBack). Host
// loads are read from noisy samples, and two hosts near the fleet's mean
// trade places from one round to the next: a move of a VM from A to B
// that evens out memory at a small cost in CPU, then, when a sample or
// two reads B a point higher, one of another VM from B to A that evens out
// CPU at a cost in memory, each clearing the minimum gain by noise, moves
// load back and forth while neither host is hot. A higher bar for the
// move back does not hold: the noise of a sample is worth as many points
// of gain as the bar (a bar of twice the minimum gain was cleared by 2.17
// points on such a fleet). So within the cooldown, the window the
// administrator set for a move to stand, a balancing move may go back
// along the pair only to relieve a source that was hot before the plan;
// the load may still spread to any other host.
func backPairs(h *History, hostIdx map[string]int, now time.Time, window time.Duration) map[[2]int]bool {
	if h == nil || window <= 0 {
		return nil
	}
	var out map[[2]int]bool
	for _, m := range h.Moved {
		if m.Trigger != TriggerBalance || now.Sub(m.At) >= window {
			continue
		}
		from, ok := hostIdx[m.From]
		if !ok {
			continue
		}
		to, ok := hostIdx[m.To]
		if !ok || from == to {
			continue
		}
		if out == nil {
			out = make(map[[2]int]bool)
		}
		out[[2]int{to, from}] = true
	}
	return out
}

// heldBack reports whether the hysteresis per host pair keeps balancing
// moves off host src from going to host to: the move would send load back
// along a pair used the other way within the cooldown (see backPairs), and
// src was not hot before the plan. A host hot in the snapshot is relieved
// wherever the limits allow: the headroom keeps a balancing move from
// making its destination hot, so such a host got there by its own load.
// One this plan made hot is not exempt: on a dense fleet a move off the
// busiest host may fill its destination past cpu_high (see denseFill), and
// a later move of the same plan then sent load from that destination back
// along a pair the last plan used the other way (TestNoFlapping found it
// with 5,000 cases; the fleet is kept in testdata).
func (r *pass) heldBack(src, to int) bool {
	return r.back[[2]int{src, to}] && !r.st.hotBefore(src)
}

// hotBefore reports whether host hi was above a high threshold before the
// plan's first move.
func (st *state) hotBefore(hi int) bool {
	h := &st.hosts[hi]
	return h.cpu0 > st.cfg.CPUHigh || h.mem0 > st.cfg.MemoryHigh
}

// relief is the peak relief credit (see objective.relief) of moving VM vi
// off host src to host to, which gains g before penalty. None for a move
// that does not gain; none for one that gains less than half of minGain
// on its own and widens the weighted spread (CPU and memory together):
// such a move buys the peak's drop with balance elsewhere, memory most
// often, a spread move undoes it once noise shifts the loads, and the
// round after it is made again (TestNoFlapping found such fleets at
// aggressiveness 3 and 4; their seeds are kept in testdata). And, with the
// hysteresis per host pair, none for a move back along a pair used the
// other way within the cooldown, even off a hot host (heldBack lets those
// through), so that a move back along the pair needs the minimum gain on
// its own: without it, credited moves of a fraction of a point passed load
// back and forth between two hosts (TestHysteresisNoReliefBack keeps a
// fleet where it decides).
func (r *pass) relief(vi, src, to int, g, minGain float64) float64 {
	if r.back[[2]int{src, to}] || g <= 0 {
		return 0
	}
	rl := r.st.obj.relief(r.st, vi, to)
	if rl > 0 && g < minGain/2 && r.st.obj.spreadWorse(r.st, vi, to) {
		return 0
	}
	return rl
}

// heldStop records in the search's stop the moves of its last step that
// the hysteresis per host pair held back (see heldBack), so that an
// administrator is not told that no move gains the minimum when moves do
// and only the hysteresis keeps them; nothing when it held none back.
// none says that the step found no other candidate.
func (r *pass) heldStop(none bool) {
	if r.held == 0 {
		return
	}
	r.search.HeldBack = r.held
	it := "it sends"
	if r.held > 1 {
		it = "each sends"
	}
	why := fmt.Sprintf("the hysteresis per host pair held back: %s load back along a host pair that a balancing migration "+
		"used the other way less than the cooldown (%s) ago, off a host that was not hot", it, r.cfg.Cooldown)
	if none {
		r.stopped = fmt.Sprintf("no move within the limits gains at least %g points, save %s %s",
			MinGain(r.cfg.Aggressiveness), plural(r.held, "move"), why)
		return
	}
	r.stopped += fmt.Sprintf("; %s that gain it %s", plural(r.held, "more move"), why)
}
