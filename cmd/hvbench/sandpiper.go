package main

import (
	"context"
	"sort"
)

// sandpiper is Sandpiper's hotspot mitigation (Wood, Shenoy, Venkataramani,
// Yousif: "Black-box and Gray-box Strategies for Virtual Machine
// Migration", NSDI 2007, section 5): a host is a hotspot when its load
// exceeds a threshold; the volume of a host or VM is
// 1/((1-cpu)(1-mem)(1-net)), a VM's volume-to-size ratio (VSR) its volume
// over its memory footprint. Hotspots are handled hottest (largest volume)
// first; on each, VMs are taken in decreasing VSR and each moved to the
// least loaded host (smallest volume) that can take it, until the host is
// no longer hot; a destination must not become a hotspot. When no move
// cools a hotspot, the swap phase exchanges VMs with a cool host (see
// sandpiperSwap). There is no network load in a snapshot (net = 0).
func sandpiper(threshold float64) contender {
	const maxSwaps = 3 // per hotspot
	return contender{Name: "Sandpiper", Kind: kindBaseline, Source: "Wood et al., NSDI 2007, §5 hotspot mitigation and swaps", Run: func(ctx context.Context, f *fleet, rec *recorder) (int, error) {
		hot, volume, vsr := sandpiperMeasures(f, threshold)
		var hots []int
		for hi := range f.snap.Hosts {
			if hot(hi) {
				hots = append(hots, hi)
			}
		}
		sort.SliceStable(hots, func(a, b int) bool { return volume(hots[a]) > volume(hots[b]) })
		for _, src := range hots {
			var vms []int
			for vi := range f.snap.VMs {
				if f.hostOf[vi] == src && f.movable(vi) {
					vms = append(vms, vi)
				}
			}
			sort.SliceStable(vms, func(a, b int) bool { return vsr(vms[a]) > vsr(vms[b]) })
			for _, vi := range vms {
				if err := ctx.Err(); err != nil {
					return 1, err
				}
				if !hot(src) {
					break
				}
				to := -1
				for hi := range f.snap.Hosts {
					if hi != src && !hotAfter(f, vi, hi, threshold) && (to < 0 || volume(hi) < volume(to)) && f.allowed(vi, hi) {
						to = hi
					}
				}
				if to < 0 {
					continue
				}
				rec.move(vi, to)
			}
			for swaps := 0; hot(src) && swaps < maxSwaps && sandpiperSwap(f, rec, src, hot, volume, vsr); swaps++ {
			}
		}
		return 1, nil
	}}
}

// hotAfter says whether host to would be over the threshold with VM vi.
func hotAfter(f *fleet, vi, to int, threshold float64) bool {
	h, v := &f.snap.Hosts[to], &f.snap.VMs[vi]
	cpu := (f.cores[to] + vmCores(v)) / float64(h.LogicalProcessors) * 100
	mem := float64(f.memUsed[to]+v.MemoryAssigned) / float64(h.MemoryBytes) * 100
	return cpu > threshold || mem > threshold
}

// sandpiperMeasures returns Sandpiper's measures on f: whether a host is a
// hotspot, a host's volume, a VM's volume-to-size ratio.
func sandpiperMeasures(f *fleet, threshold float64) (hot func(int) bool, volume, vsr func(int) float64) {
	hot = func(hi int) bool { return f.cpu(hi) > threshold || f.mem(hi) > threshold }
	volume = func(hi int) float64 {
		c, m := min(f.cpu(hi)/100, 0.99), min(f.mem(hi)/100, 0.99)
		return 1 / ((1 - c) * (1 - m))
	}
	vsr = func(vi int) float64 {
		h := &f.snap.Hosts[f.hostOf[vi]]
		v := &f.snap.VMs[vi]
		c := min(vmCores(v)/float64(h.LogicalProcessors), 0.99)
		m := min(float64(v.MemoryAssigned)/float64(h.MemoryBytes), 0.99)
		return 1 / ((1 - c) * (1 - m)) / float64(v.MemoryAssigned)
	}
	return hot, volume, vsr
}
