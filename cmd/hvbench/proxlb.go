package main

import (
	"context"
	"sort"
)

// proxLB is ProxLB's greedy balancer (gyptazy/ProxLB, docs/03_FAQ.md "How
// does it work?" and docs/02_Configuration.md): it computes the
// "balanciness", the difference between the most and the least used node
// in the chosen resource (percent); when it exceeds the threshold
// (balanciness, default 10) it sorts the guests by their use of that
// resource, largest first, and places each in turn on the node with the
// most free resources, until the balanciness is within the threshold.
// Modes here: "assigned" for memory (what a VM holds of its host, Hyper-V's
// assigned memory), "used" for CPU. cpu selects CPU, otherwise memory;
// percent compares nodes by their free share, otherwise by their free
// amount (bytes or logical processors), as ProxLB's node_mem_free does.
func proxLB(cpu, percent bool) contender {
	name, use := "ProxLB memory", func(f *fleet, vi int) float64 { return float64(f.snap.VMs[vi].MemoryAssigned) }
	if cpu {
		name, use = "ProxLB cpu", func(f *fleet, vi int) float64 { return vmCores(&f.snap.VMs[vi]) }
	}
	name += map[bool]string{true: " (free %)", false: " (free amount)"}[percent]
	const balanciness = 10
	return contender{Name: name, Kind: kindBaseline, Source: "gyptazy/ProxLB docs (balanciness; memory assigned, cpu used)", Run: func(ctx context.Context, f *fleet, rec *recorder) (int, error) {
		pct, free := f.mem, func(hi int) float64 { return float64(f.snap.Hosts[hi].MemoryBytes - f.memUsed[hi]) }
		if cpu {
			pct, free = f.cpu, func(hi int) float64 { return float64(f.snap.Hosts[hi].LogicalProcessors) - f.cores[hi] }
		}
		if percent {
			free = func(hi int) float64 { return 100 - pct(hi) }
		}
		order := make([]int, len(f.snap.VMs))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return use(f, order[a]) > use(f, order[b]) })
		for _, vi := range order {
			if err := ctx.Err(); err != nil {
				return 1, err
			}
			if _, spread := extremes(f, pct); spread <= balanciness {
				break
			}
			if !f.movable(vi) {
				continue
			}
			best := f.hostOf[vi]
			for hi := range f.snap.Hosts {
				// The cheap test first: a contender held to a policy asks it
				// only about a host that would be chosen.
				if hi != f.hostOf[vi] && free(hi) > free(best) && f.allowed(vi, hi) {
					best = hi
				}
			}
			if best != f.hostOf[vi] {
				rec.move(vi, best)
			}
		}
		return 1, nil
	}}
}
