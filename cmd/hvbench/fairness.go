package main

import (
	"context"
	"fmt"
)

// nodeFairness is failover-cluster VM load balancing ("node fairness",
// Windows Server 2016 and later) at one AutoBalancerLevel. Microsoft
// documents the levels as thresholds on a node's CPU or memory load
// (learn.microsoft.com, previous-versions/windows/desktop/mscs/
// clusters-autobalancerlevel): 1 (Low, the default) balances when a
// node's CPU or memory load exceeds 80 %, 2 (Medium) above 70 %, 3 (High)
// above 60 %; AutoBalancerMode 2 re-evaluates every 30 minutes and when a
// node joins. A node over the threshold gives VMs to the least loaded
// nodes. Which VM it picks is not documented; this implementation takes,
// on the most loaded node over the threshold, the VM whose departure
// lowers that node's load most, and sends it to the least loaded node that
// stays under the threshold with it, until no node is over the threshold
// or no such move exists.
func nodeFairness(level int) contender {
	threshold := map[int]float64{1: 80, 2: 70, 3: 60}[level]
	return contender{
		Name:   fmt.Sprintf("node fairness L%d", level),
		Kind:   kindBaseline,
		Source: "Microsoft, AutoBalancerLevel (clusters-autobalancerlevel)",
		Run: func(ctx context.Context, f *fleet, rec *recorder) (int, error) {
			load := func(hi int) float64 { return max(f.cpu(hi), f.mem(hi)) }
			for range len(f.snap.VMs) {
				if err := ctx.Err(); err != nil {
					return 1, err
				}
				src := -1
				for hi := range f.snap.Hosts {
					if load(hi) > threshold && (src < 0 || load(hi) > load(src)) {
						src = hi
					}
				}
				if src < 0 {
					return 1, nil
				}
				if !fairnessStep(f, rec, src, threshold, load) {
					return 1, nil // the hottest node cannot give anything away
				}
			}
			return 1, nil
		},
	}
}

// fairnessStep moves one VM off src, reporting whether it found one.
func fairnessStep(f *fleet, rec *recorder, src int, threshold float64, load func(int) float64) bool {
	before := load(src)
	bestVM, bestTo, bestDrop := -1, -1, 0.0
	for vi := range f.snap.VMs {
		if f.hostOf[vi] != src || !f.movable(vi) {
			continue
		}
		to := -1
		for hi := range f.snap.Hosts {
			if hi != src && (to < 0 || load(hi) < load(to)) && f.allowed(vi, hi) {
				to = hi
			}
		}
		if to < 0 {
			continue
		}
		f.move(vi, to) // try it, then put it back
		drop, fits := before-load(src), load(to) <= threshold
		f.move(vi, src)
		if fits && drop > bestDrop {
			bestVM, bestTo, bestDrop = vi, to, drop
		}
	}
	if bestVM < 0 {
		return false
	}
	rec.move(bestVM, bestTo)
	return true
}
