package main

import (
	"sort"

	"github.com/hvbalancer/hvbalancer/collector"
)

// step is one VM's move in a swap.
type step struct{ vm, to int }

// sandpiperSwap is Sandpiper's swap phase (Wood et al., NSDI 2007, §5):
// when no move can cool hot host src, exchange one of its high-VSR VMs for
// one to three of the lowest-VSR VMs of a cool host, least loaded host
// first, when afterwards the cool host is still not hot and src is cooler.
// The VMs move one after the other, so every single move must keep the
// hard limits on its own (either the hot VM first or the cool ones first);
// Sandpiper's spare host for a swap that fits no other way is not used.
// It reports whether it swapped.
func sandpiperSwap(f *fleet, rec *recorder, src int, hot func(int) bool, volume, vsr func(int) float64) bool {
	onHost := func(hi int) []int {
		var vms []int
		for vi := range f.snap.VMs {
			if f.hostOf[vi] == hi && f.movable(vi) {
				vms = append(vms, vi)
			}
		}
		sort.SliceStable(vms, func(a, b int) bool { return vsr(vms[a]) > vsr(vms[b]) })
		return vms
	}
	var dests []int
	for hi, h := range f.snap.Hosts {
		if hi != src && h.MigrationEnabled && h.Health == collector.HealthOK && !h.Maintenance && !hot(hi) {
			dests = append(dests, hi)
		}
	}
	sort.SliceStable(dests, func(a, b int) bool { return volume(dests[a]) < volume(dests[b]) })
	before := volume(src)
	for _, h := range onHost(src) {
		for _, dest := range dests {
			cool := onHost(dest)
			for k := 1; k <= 3 && k <= len(cool); k++ {
				small := cool[len(cool)-k:] // the k lowest VSR
				var in, out []step
				out = append(out, step{h, dest})
				for _, vi := range small {
					in = append(in, step{vi, src})
				}
				for _, order := range [][]step{append(append([]step{}, out...), in...), append(append([]step{}, in...), out...)} {
					if !feasibleHard(f, order) {
						continue
					}
					apply(f, order) // judge the end state, then put it back
					good := volume(src) < before && !hot(dest)
					undo(f, order, src, dest)
					if good && feasible(f, order) {
						for _, s := range order {
							rec.move(s.vm, s.to)
						}
						return true
					}
				}
			}
		}
	}
	return false
}

// feasible says whether every step keeps the hard limits when the steps
// run in order; it leaves the fleet as it found it.
func feasible(f *fleet, steps []step) bool {
	from := make([]int, len(steps))
	done := 0
	ok := true
	for i, s := range steps {
		if !f.allowed(s.vm, s.to) {
			ok = false
			break
		}
		from[i] = f.hostOf[s.vm]
		f.move(s.vm, s.to)
		done++
	}
	for i := done - 1; i >= 0; i-- {
		f.move(steps[i].vm, from[i])
	}
	return ok
}

// feasibleHard is feasible with the hard limits alone, the fleet's rule
// left out: the swap is judged by its end state first, and a contender
// held to a policy (see policyRule) asks it only about the swaps that
// would be made, each step on a placement of its own.
func feasibleHard(f *fleet, steps []step) bool {
	rule := f.rule
	f.rule = nil
	defer func() { f.rule = rule }()
	return feasible(f, steps)
}

// apply makes the steps without checking them.
func apply(f *fleet, steps []step) {
	for _, s := range steps {
		f.move(s.vm, s.to)
	}
}

// undo reverses a swap between src and dest made by apply: every VM goes
// back to the other host.
func undo(f *fleet, steps []step, src, dest int) {
	for _, s := range steps {
		if s.to == src {
			f.move(s.vm, dest)
		} else {
			f.move(s.vm, src)
		}
	}
}
