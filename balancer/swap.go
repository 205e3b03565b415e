package balancer

import (
	"context"
	"fmt"
	"slices"
	"sort"
)

// Swap bounds: the swap phase runs only when a step finds no single move,
// so it looks at few pairs of hosts and few VMs on each.
const (
	maxSwapSources = 4  // sources (see pass.sources) a swap phase tries
	maxSwapDests   = 8  // coolest eligible destinations tried per source
	maxSwapVMs     = 8  // busiest VMs of a source and least busy of a destination paired
	maxSwapJudged  = 32 // Judge calls a swap phase makes at most
)

// swap is two moves planned together: VM a from its host src to dst, then
// VM b from dst to src.
type swap struct {
	a, b, src, dst int
	gain           float64 // the pair's objective gain, before penalties
}

// swapPhase is Sandpiper's swap phase (Wood et al., NSDI 2007, §5), tried
// when no single move gains minGain: a busy VM a of a source goes to a cool
// destination and a less busy VM b of that destination comes back. The two
// are planned as two moves, a first: each obeys every hard limit in the
// order planned (a with b still on the destination, b with a gone from the
// source), and b also keeps the source within its memory limits and the
// CPU ceiling with a still there, since the executor may start b while a
// is still migrating and b may land first. The policy judges each move as
// it judges any other. A swap costs two migrations, so it must gain
// 2·minGain after both penalties; each move records half the pair's gain.
// It reports whether a swap was planned.
func (r *pass) swapPhase(ctx context.Context, minGain float64) (bool, error) {
	st := r.st
	if len(r.moves)+2 > r.cfg.MaxMoves {
		return false, nil
	}
	cands := r.swapCandidates(2 * minGain)
	judged := 0
	for _, c := range cands {
		if judged+2 > maxSwapJudged {
			break
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		va, err := r.judge(ctx, c.a, c.dst)
		judged++
		if err != nil {
			return false, err
		}
		if len(va.Deny) > 0 {
			continue
		}
		saved := st.save(c.src, c.dst)
		st.apply(c.a, c.dst)
		ok := st.fault(c.b, c.src) == faultNone
		var vb verdictOf
		if ok {
			v, err := r.judge(ctx, c.b, c.src)
			judged++
			if err != nil {
				st.restore(saved)
				return false, err
			}
			vb = verdictOf{deny: len(v.Deny) > 0, penalty: v.Penalty}
		}
		st.restore(saved)
		if !ok || vb.deny {
			continue
		}
		final := c.gain - va.Penalty - vb.penalty
		if final < 2*minGain {
			continue
		}
		half := final / 2
		bName := vmName(st.vms[c.b].v)
		aName := vmName(st.vms[c.a].v)
		reason := st.hotReason(c.src)
		r.addMove(&choice{candidate: candidate{vm: c.a, to: c.dst, gain: c.gain / 2}, final: half, penalty: va.Penalty},
			TriggerBalance, fmt.Sprintf("%s (swap with %s)", reason, bName), 0, []string{"deny", "penalty"}, nil)
		r.addMove(&choice{candidate: candidate{vm: c.b, to: c.src, gain: c.gain / 2}, final: half, penalty: vb.penalty},
			TriggerBalance, fmt.Sprintf("%s (swap with %s)", reason, aName), 0, []string{"deny", "penalty"}, nil)
		r.search.Swaps++
		return true, nil
	}
	return false, nil
}

// verdictOf is what the swap phase keeps of a verdict.
type verdictOf struct {
	deny    bool
	penalty float64
}

// swapCandidates scores the swaps between maxSwapSources sources (see
// swapSources) and the maxSwapDests coolest eligible hosts: each of a source's
// maxSwapVMs busiest movable VMs against each of the destination's
// maxSwapVMs least busy ones that are less busy than it, keeping the pairs
// whose first move is within the hard limits, whose second keeps the
// source within memory and the ceiling before the first has left, and
// that gain at least minGain. Best first, ties by VM and host order.
func (r *pass) swapCandidates(minGain float64) []swap {
	st := r.st
	sources := swapSources(r.sources(), st.obj.top[0])
	dests := append([]int(nil), st.elig...)
	sort.SliceStable(dests, func(i, j int) bool { return st.heat(dests[i]) < st.heat(dests[j]) })
	if len(dests) > maxSwapDests {
		dests = dests[:maxSwapDests]
	}
	var out []swap
	for _, src := range sources {
		as := st.movableBy(src, true)
		for _, dst := range dests {
			if dst == src || st.heat(dst) >= st.heat(src) {
				continue
			}
			bs := st.movableBy(dst, false)
			for _, a := range as {
				if st.fault(a, dst) != faultNone {
					continue
				}
				for _, b := range bs {
					if st.vms[b].cores >= st.vms[a].cores || !st.landsFirstWithin(b, src) {
						continue
					}
					r.search.Candidates++
					if g := st.obj.swapGain(st, a, b); g >= minGain {
						out = append(out, swap{a: a, b: b, src: src, dst: dst, gain: g})
					}
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
		return x.b < y.b
	})
	return out
}

// swapSources are the first maxSwapSources of a step's sources, the
// busiest host by CPU (peak, -1 when none) always among them when it is a
// source: sources lists hosts by heat, CPU and memory together, and the
// busiest host, light in memory, may come after maxSwapSources others,
// though it is the peak a swap lowers.
func swapSources(sources []int, peak int) []int {
	if len(sources) <= maxSwapSources {
		return sources
	}
	out := slices.Clone(sources[:maxSwapSources])
	if i := slices.Index(sources, peak); i >= maxSwapSources {
		out[maxSwapSources-1] = peak
	}
	return out
}

// movableBy returns up to maxSwapVMs movable VMs of host hi, busiest first
// (or least busy first), ties by VM order.
func (st *state) movableBy(hi int, busiest bool) []int {
	var out []int
	for _, vi := range st.hosts[hi].vms {
		if vs := &st.vms[vi]; vs.held == movable && !vs.moved {
			out = append(out, vi)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if busiest {
			return st.vms[out[i]].cores > st.vms[out[j]].cores
		}
		return st.vms[out[i]].cores < st.vms[out[j]].cores
	})
	if len(out) > maxSwapVMs {
		out = out[:maxSwapVMs]
	}
	return out
}

// landsFirstWithin reports whether VM b may land on host to before the
// swap's first move has left it: to keeps memory_reserve_bytes free, stays
// at or below memory_high and at or below cpu_ceiling with b added.
func (st *state) landsFirstWithin(b, to int) bool {
	dst := &st.hosts[to]
	mem := dst.memUsed + float64(st.vms[b].v.MemoryAssigned)
	return mem <= dst.capBytes-float64(st.cfg.MemoryReserveBytes) &&
		(dst.capBytes <= 0 || mem/dst.capBytes*100 <= st.cfg.MemoryHigh) &&
		dst.cpu+st.cpuDelta(b, to) <= st.cfg.CPUCeiling
}

// swapGain is how much moving VM a to b's host and b to a's host lowers
// the objective, before any policy penalty: both moves' load changes on
// the two hosts at once, in the spreads, the peak and the load above the
// line (as objective.after counts one move), less both migration costs.
func (o *objective) swapGain(st *state, a, b int) float64 {
	src, dst := st.vms[a].host, st.vms[b].host
	s1c, s2c, s1m, s2m := o.s1c, o.s2c, o.s1m, o.s2m
	shift := func(hi int, dc, dm float64) {
		h := &st.hosts[hi]
		if !h.eligible {
			return
		}
		xc, xm := h.cpu-o.pc, h.mem-o.pm
		s1c += dc
		s2c += 2*xc*dc + dc*dc
		s1m += dm
		s2m += 2*xm*dm + dm*dm
	}
	dcSrc, dcDst := st.cpuDelta(b, src)-st.cpuDelta(a, src), st.cpuDelta(a, dst)-st.cpuDelta(b, dst)
	shift(src, dcSrc, st.memDelta(b, src)-st.memDelta(a, src))
	shift(dst, dcDst, st.memDelta(a, dst)-st.memDelta(b, dst))
	cs, cd := st.hosts[src].cpu+dcSrc, st.hosts[dst].cpu+dcDst
	peak := o.peakAfter(st, src, cs, dst, cd)
	over := o.over + o.overShift(st, src, cs) + o.overShift(st, dst, cd)
	after := o.sqrtN*(o.wc*stddev(o.n, s1c, s2c)+o.wm*stddev(o.n, s1m, s2m)) + o.wc*(peak+over)
	return o.value() - after - o.cost(st, a) - o.cost(st, b)
}

// saved is what apply changes of two hosts, kept so that a move tried
// while judging a swap can be undone exactly.
type saved struct {
	hosts      [2]int
	state      [2]hostState
	obj        objective
	volPlanned []int64
	vms        []vmState
}

// save keeps hosts x and y (and every VM's state) before a trial apply.
func (st *state) save(x, y int) saved {
	s := saved{hosts: [2]int{x, y}, obj: st.obj, volPlanned: slices.Clone(st.volPlanned)}
	for i, hi := range s.hosts {
		s.state[i] = st.hosts[hi]
		s.state[i].vms = slices.Clone(st.hosts[hi].vms)
	}
	s.vms = make([]vmState, 0, len(s.state[0].vms)+len(s.state[1].vms))
	for _, i := range s.state[0].vms {
		s.vms = append(s.vms, st.vms[i])
	}
	for _, i := range s.state[1].vms {
		s.vms = append(s.vms, st.vms[i])
	}
	return s
}

// restore undoes a trial apply between the two saved hosts.
func (st *state) restore(s saved) {
	for i, hi := range s.hosts {
		st.hosts[hi] = s.state[i]
	}
	n := 0
	for _, list := range [][]int{s.state[0].vms, s.state[1].vms} {
		for _, vi := range list {
			st.vms[vi] = s.vms[n]
			n++
		}
	}
	st.obj = s.obj
	st.volPlanned = s.volPlanned
}
