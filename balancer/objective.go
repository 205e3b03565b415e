package balancer

import (
	"math"

	"github.com/hvbalancer/hvbalancer/collector"
)

// objective holds what the planner's objective needs to score a candidate
// move in constant time: over the eligible hosts, the sums of each
// resource's load deviations from a pivot (the mean when last reset) and of
// their squares, and the three busiest hosts by CPU. See Planner for the
// objective itself.
type objective struct {
	n, sqrtN      float64
	wc, wm, wcost float64
	pc, pm        float64 // pivots
	maxc          float64 // the busiest eligible host's CPU load
	line          float64 // cpu_high, or the mean CPU load when it is higher, as the plan found it (see state.line)
	over          float64 // the eligible hosts' CPU load above line, summed
	top           [3]int  // the three busiest eligible hosts by CPU, busiest first; -1 when fewer
	// stuck is the CPU load of the busiest host no plan can lower: healthy,
	// but not eligible and unable to send its VMs (live migration
	// disabled); 0 when none. See relief.
	stuck              float64
	s1c, s2c, s1m, s2m float64
	// val is the objective's value (see value), worked out once a reset:
	// a balancing step scores thousands of candidates against it.
	val float64
}

// reset recomputes the sums from the hosts' projected loads, and the
// value.
func (o *objective) reset(st *state) {
	o.sums(st)
	o.val = o.weighted()
}

// sums recomputes the sums from the hosts' projected loads.
func (o *objective) sums(st *state) {
	*o = objective{n: float64(len(st.elig)), wc: st.cfg.CPUWeight, wm: st.cfg.MemoryWeight, wcost: st.cfg.MigrationCostWeight}
	o.sqrtN = math.Sqrt(o.n)
	if o.n == 0 {
		return
	}
	for _, hi := range st.elig {
		o.pc += st.hosts[hi].cpu
		o.pm += st.hosts[hi].mem
		o.maxc = max(o.maxc, st.hosts[hi].cpu)
	}
	o.top = [3]int{-1, -1, -1}
	for _, hi := range st.elig {
		c := st.hosts[hi].cpu
		for k := range o.top {
			if o.top[k] < 0 || c > st.hosts[o.top[k]].cpu {
				copy(o.top[k+1:], o.top[k:len(o.top)-1])
				o.top[k] = hi
				break
			}
		}
	}
	for hi := range st.hosts {
		if h := &st.hosts[hi]; !h.eligible && !h.canSend && h.h.Health == collector.HealthOK && h.lp > 0 {
			o.stuck = max(o.stuck, h.cpu)
		}
	}
	o.pc /= o.n
	o.pm /= o.n
	o.line = st.line
	if !st.lineSet { // the plan's first reset
		o.line = max(st.cfg.CPUHigh, o.pc)
	}
	for _, hi := range st.elig {
		o.over += max(0, st.hosts[hi].cpu-o.line)
	}
	for _, hi := range st.elig {
		dc, dm := st.hosts[hi].cpu-o.pc, st.hosts[hi].mem-o.pm
		o.s1c += dc
		o.s2c += dc * dc
		o.s1m += dm
		o.s2m += dm * dm
	}
}

// stddev is the population standard deviation from centred sums.
func stddev(n, s1, s2 float64) float64 {
	if n == 0 {
		return 0
	}
	m := s1 / n
	return math.Sqrt(math.Max(0, s2/n-m*m))
}

// spreads returns the CPU and memory spreads (population standard
// deviation, percentage points) over the eligible hosts.
func (o *objective) spreads() (cpu, mem float64) {
	return stddev(o.n, o.s1c, o.s2c), stddev(o.n, o.s1m, o.s2m)
}

// value is the weighted imbalance: √n·(wc·σcpu + wm·σmem) + wc·(peak +
// over), the peak being the busiest eligible host's CPU load and over the
// eligible hosts' CPU load above a line, summed: above cpu_high, or above
// the mean on a dense fleet, whose mean is higher (the mean as the plan
// found the fleet, see state.line). The peak falls only
// once every host near it is relieved, so where many hosts are near the
// busiest, one move lowers it by little; over falls by each point a move
// takes off a host above the line to one that stays under it, so that
// relieving one of many hot hosts is a gain of its own.
func (o *objective) value() float64 { return o.val }

// weighted works out value from the sums.
func (o *objective) weighted() float64 {
	c, m := o.spreads()
	return o.sqrtN*(o.wc*c+o.wm*m) + o.wc*(o.maxc+o.over)
}

// peakAfter is the busiest eligible host's CPU load once hosts x and y
// (either may be ineligible) are at CPU loads cx and cy and every other
// host is as it is.
func (o *objective) peakAfter(st *state, x int, cx float64, y int, cy float64) float64 {
	peak := 0.0
	for _, hi := range o.top {
		if hi >= 0 && hi != x && hi != y {
			peak = st.hosts[hi].cpu
			break
		}
	}
	if st.hosts[x].eligible {
		peak = max(peak, cx)
	}
	if st.hosts[y].eligible {
		peak = max(peak, cy)
	}
	return peak
}

// after is the weighted imbalance once VM vi moved from its host to host to.
func (o *objective) after(st *state, vi, to int) float64 {
	from := st.vms[vi].host
	dcf, dct := st.cpuDelta(vi, from), st.cpuDelta(vi, to)
	c, m := o.spreadsShifted(st, vi, from, to, dcf, dct)
	cf, ct := st.hosts[from].cpu-dcf, st.hosts[to].cpu+dct
	peak := o.peakAfter(st, from, cf, to, ct)
	over := o.over + o.overShift(st, from, cf) + o.overShift(st, to, ct)
	return o.sqrtN*(o.wc*c+o.wm*m) + o.wc*(peak+over)
}

// spreadsAfter returns the CPU and memory spreads once VM vi moved from its
// host to host to.
func (o *objective) spreadsAfter(st *state, vi, to int) (cpu, mem float64) {
	from := st.vms[vi].host
	return o.spreadsShifted(st, vi, from, to, st.cpuDelta(vi, from), st.cpuDelta(vi, to))
}

// spreadsShifted is spreadsAfter for VM vi, on host from, whose CPU
// deltas on from and to are dcf and dct.
func (o *objective) spreadsShifted(st *state, vi, from, to int, dcf, dct float64) (cpu, mem float64) {
	s1c, s2c, s1m, s2m := o.s1c, o.s2c, o.s1m, o.s2m
	shift := func(hi int, sign, dcpu float64) {
		h := &st.hosts[hi]
		if !h.eligible {
			return
		}
		dc, dm := sign*dcpu, sign*st.memDelta(vi, hi)
		xc, xm := h.cpu-o.pc, h.mem-o.pm
		s1c += dc
		s2c += 2*xc*dc + dc*dc
		s1m += dm
		s2m += 2*xm*dm + dm*dm
	}
	shift(from, -1, dcf)
	shift(to, 1, dct)
	return stddev(o.n, s1c, s2c), stddev(o.n, s1m, s2m)
}

// relief is the peak relief credit of moving VM vi to host to: when vi's
// host is the busiest eligible host, the part of its drop the peak term
// misses because a third host is near it, wc × (the peak after the move −
// the busier of the two hosts after it); 0 for a move off any other host.
// The peak term counts a move off the busiest host only down to the next
// busiest, so where several hosts sit within a few points of the peak (a
// plateau, often well under cpu_high once the hot hosts are relieved) no
// single move lowers the peak by much, and under a high minimum gain the
// search stopped with the plateau in place, though relieving its hosts one
// by one, busiest first, lowers the peak. The credit counts the move as
// that sequence's step (see worthwhile). Each such step lowers the busiest
// host and leaves neither of its hosts as busy as it was, so the fleet's
// loads sorted busiest first fall in lexicographic order: relief steps
// alone cannot cycle; worthwhile and the hysteresis per host pair (see
// backPairs) keep spread moves from undoing them.
// The fleet's busiest host cannot fall below a host no plan can lower
// (stuck), so the credit stops there: a move that only lowers the eligible
// peak under such a host is judged on what else it gains, like any move.
func (o *objective) relief(st *state, vi, to int) float64 {
	from := st.vms[vi].host
	if from < 0 || o.top[0] != from {
		return 0
	}
	cf, ct := st.hosts[from].cpu-st.cpuDelta(vi, from), st.hosts[to].cpu+st.cpuDelta(vi, to)
	pair := cf
	if st.hosts[to].eligible {
		pair = max(pair, ct)
	}
	floor := max(pair, o.stuck)
	return o.wc * max(0, o.peakAfter(st, from, cf, to, ct)-floor)
}

// spreadWorse reports whether moving VM vi to host to widens the weighted
// spread, CPU and memory together.
func (o *objective) spreadWorse(st *state, vi, to int) bool {
	c0, m0 := o.spreads()
	c, m := o.spreadsAfter(st, vi, to)
	return o.wc*c+o.wm*m > o.wc*c0+o.wm*m0
}

// overShift is how much host hi's CPU load above the line changes once its
// load is c (0 for an ineligible host).
func (o *objective) overShift(st *state, hi int, c float64) float64 {
	if !st.hosts[hi].eligible {
		return 0
	}
	return max(0, c-o.line) - max(0, st.hosts[hi].cpu-o.line)
}

// cost is the migration cost term of moving VM vi: the bytes it copies
// (assigned memory, and its disks when its storage moves with it) in
// percent of an average eligible host's memory, times the cost weight.
func (o *objective) cost(st *state, vi int) float64 {
	vs := &st.vms[vi]
	return o.wcost * 100 * float64(vs.v.MemoryAssigned+vs.need.storage.bytes) / st.meanCap
}

// gain is how much moving VM vi to host to lowers the objective, before
// any policy penalty.
func (o *objective) gain(st *state, vi, to int) float64 {
	return o.value() - o.after(st, vi, to) - o.cost(st, vi)
}

// balanced reports whether no eligible host is hot and every weighted
// resource's spread is within the target.
func (st *state) balanced() bool {
	for _, hi := range st.elig {
		if st.hot(&st.hosts[hi]) {
			return false
		}
	}
	c, m := st.obj.spreads()
	return (st.cfg.CPUWeight == 0 || c <= st.cfg.TargetSpread) && (st.cfg.MemoryWeight == 0 || m <= st.cfg.TargetSpread)
}

// heat ranks hosts for the search: the weighted deviation of the host's
// load from the eligible mean.
func (st *state) heat(hi int) float64 {
	h := &st.hosts[hi]
	return st.cfg.CPUWeight*(h.cpu-st.obj.pc) + st.cfg.MemoryWeight*(h.mem-st.obj.pm)
}

// excess is how far the host is above its hot thresholds (0 if it is not
// hot), the larger of CPU and memory.
func (st *state) excess(hi int) float64 {
	h := &st.hosts[hi]
	return math.Max(0, math.Max(h.cpu-st.cfg.CPUHigh, h.mem-st.cfg.MemoryHigh))
}
