package balancer

import (
	"context"
	"fmt"
	"sort"
)

// prep is two moves planned together on a dense fleet: VM p off a host c
// with CPU room to host d, which leaves c room in memory, then VM a off
// the busiest host to c.
type prep struct {
	p, d, a, c int
	gain       float64 // the pair's objective gain, before penalties
}

// preparePhase is tried on a dense fleet when no single move nor swap
// gains minGain: the hosts with CPU room are often full in memory, so no
// VM of the busiest host fits on them, and the other hosts are past the
// fill line, where only a move off the busiest host may send load. It
// looks one move ahead: a VM p of a host c with CPU room goes to a host d,
// then a VM a of the busiest host goes to c, which p's leaving made room
// for. p may fill d past the fill line up to cpu_high (the headroom is
// not kept; d does not become hot) and to below the busiest host's load
// after a leaves, so no host ends busier than the one the pair relieves.
// a obeys every hard limit once p has left, and fits c within memory_high
// and the reserve while p is still there (the executor may start a
// before p has left). The policy judges each move as it judges any
// other, and the pair must gain 2·minGain after both penalties, as a swap
// must. It reports whether a pair was planned.
func (r *pass) preparePhase(ctx context.Context, minGain float64) (bool, error) {
	st := r.st
	top := st.obj.top[0]
	if !st.dense() || top < 0 || len(r.moves)+2 > r.cfg.MaxMoves {
		return false, nil
	}
	cands := r.prepCandidates(top, 2*minGain)
	judged := 0
	for _, c := range cands {
		if judged+2 > maxSwapJudged {
			break
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		vp, err := r.judge(ctx, c.p, c.d)
		judged++
		if err != nil {
			return false, err
		}
		if len(vp.Deny) > 0 {
			continue
		}
		saved := st.save(c.c, c.d)
		st.apply(c.p, c.d)
		va, err := r.judge(ctx, c.a, c.c)
		judged++
		st.restore(saved)
		if err != nil {
			return false, err
		}
		if len(va.Deny) > 0 {
			continue
		}
		final := c.gain - vp.Penalty - va.Penalty
		if final < 2*minGain {
			continue
		}
		half := final / 2
		reason := st.hotReason(top)
		r.addMove(&choice{candidate: candidate{vm: c.p, to: c.d, gain: c.gain / 2}, final: half, penalty: vp.Penalty},
			TriggerBalance, fmt.Sprintf("%s (room for %s)", reason, vmName(st.vms[c.a].v)), 0, []string{"deny", "penalty"}, nil)
		r.addMove(&choice{candidate: candidate{vm: c.a, to: c.c, gain: c.gain / 2}, final: half, penalty: va.Penalty},
			TriggerBalance, reason, 0, []string{"deny", "penalty"}, nil)
		r.search.Preps++
		return true, nil
	}
	return false, nil
}

// prepCandidates scores the pairs of preparePhase for the busiest host
// top: each of its maxSwapVMs least busy movable VMs a against the
// maxSwapDests eligible hosts c of least CPU load that a fits in CPU
// (below top's load after a leaves, and the ceiling) but not in memory,
// each of c's maxSwapVMs least busy movable VMs p against every eligible
// host d, keeping the pairs that gain at least minGain. Best first, ties by
// VM and host order.
func (r *pass) prepCandidates(top int, minGain float64) []prep {
	st := r.st
	cs := append([]int(nil), st.elig...)
	sort.SliceStable(cs, func(i, j int) bool { return st.hosts[cs[i]].cpu < st.hosts[cs[j]].cpu })
	if len(cs) > maxSwapDests {
		cs = cs[:maxSwapDests]
	}
	as := st.movableBy(top, false)
	v0 := st.obj.value()
	var out []prep
	for _, c := range cs {
		if c == top {
			continue
		}
		for _, a := range as {
			if f := st.fault(a, c); (f != faultMemoryHigh && f != faultMemory) || r.heldBack(top, c) {
				continue
			}
			left := st.hosts[top].cpu - st.cpuDelta(a, top)
			if after := st.hosts[c].cpu + st.cpuDelta(a, c); after > st.cfg.CPUCeiling || after >= left || !st.landsFirstWithin(a, c) {
				continue
			}
			for _, p := range st.movableBy(c, false) {
				for _, d := range st.elig {
					if d == c || d == top || r.heldBack(c, d) || !st.prepFits(p, d, left) {
						continue
					}
					r.search.Candidates++
					saved := st.save(c, d)
					st.apply(p, d)
					if st.fault(a, c) == faultNone {
						if g := v0 - st.obj.after(st, a, c) - st.obj.cost(st, a) - st.obj.cost(st, p); g >= minGain {
							out = append(out, prep{p: p, d: d, a: a, c: c, gain: g})
						}
					}
					st.restore(saved)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.gain != y.gain {
			return x.gain > y.gain
		}
		if x.a != y.a {
			return x.a < y.a
		}
		if x.p != y.p {
			return x.p < y.p
		}
		return x.d < y.d
	})
	return out
}

// prepFits reports whether VM p may go to host d to make room for a VM of
// the busiest host (see preparePhase): within every hard limit, or past
// the fill line only, to at most cpu_high (and the ceiling) and to below
// left, the busiest host's load once its VM has left.
func (st *state) prepFits(p, d int, left float64) bool {
	switch st.fault(p, d) {
	case faultNone:
		return true
	case faultCPU:
	default:
		return false
	}
	margin := st.margin
	st.margin = 0
	f := st.fault(p, d)
	st.margin = margin
	after := st.hosts[d].cpu + st.cpuDelta(p, d)
	return f == faultNone && after <= st.cfg.CPUHigh && after < left
}
