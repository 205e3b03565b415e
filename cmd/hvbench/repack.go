package main

import (
	"context"
	"sort"

	"github.com/hvbalancer/hvbalancer/collector"
)

// repack places the fleet again from scratch, ignoring where VMs are: the
// longest-processing-time-first rule of list scheduling (Graham, "Bounds
// on multiprocessing timing anomalies", SIAM J. Appl. Math. 1969) takes
// the movable VMs busiest first and puts each on the host it leaves least
// loaded in CPU percent where its memory fits with the reserve; VMs that
// cannot move stay and load their host first. It then migrates every VM
// whose place changed, in passes, each move only when the hard limits
// allow it at that moment; moves that no order makes possible are dropped.
// It shows what balance costs when moves are free; it is a reference, not
// a baseline the issue 13 target is held to.
func repack() contender {
	return contender{Name: "full repack (LPT)", Kind: kindReference, Source: "Graham 1969, longest processing time first", Run: func(ctx context.Context, f *fleet, rec *recorder) (int, error) {
		n := len(f.snap.Hosts)
		cores, mem := make([]float64, n), make([]int64, n)
		target := make([]int, len(f.snap.VMs))
		var movable []int
		for vi := range f.snap.VMs {
			if f.movable(vi) {
				movable = append(movable, vi)
				continue
			}
			hi := f.hostOf[vi]
			target[vi] = hi
			cores[hi] += vmCores(&f.snap.VMs[vi])
			mem[hi] += f.snap.VMs[vi].MemoryAssigned
		}
		sort.SliceStable(movable, func(a, b int) bool {
			return vmCores(&f.snap.VMs[movable[a]]) > vmCores(&f.snap.VMs[movable[b]])
		})
		for _, vi := range movable {
			v := &f.snap.VMs[vi]
			best, bestLoad := f.hostOf[vi], 0.0
			found := false
			for hi, h := range f.snap.Hosts {
				dest := h.Health == collector.HealthOK && h.MigrationEnabled && !h.Maintenance
				if hi != f.hostOf[vi] && !dest || mem[hi]+v.MemoryAssigned+f.lim.ReserveBytes > h.MemoryBytes {
					continue
				}
				load := (cores[hi] + vmCores(v)) / float64(h.LogicalProcessors)
				if !found || load < bestLoad {
					best, bestLoad, found = hi, load, true
				}
			}
			target[vi] = best
			cores[best] += vmCores(v)
			mem[best] += v.MemoryAssigned
		}
		pending := movable[:0:0]
		for _, vi := range movable {
			if target[vi] != f.hostOf[vi] {
				pending = append(pending, vi)
			}
		}
		passes := 0
		for progress := true; progress && len(pending) > 0; passes++ {
			if err := ctx.Err(); err != nil {
				return passes, err
			}
			progress = false
			left := pending[:0]
			for _, vi := range pending {
				if f.allowed(vi, target[vi]) {
					rec.move(vi, target[vi])
					progress = true
				} else {
					left = append(left, vi)
				}
			}
			pending = left
		}
		return passes, nil
	}}
}
