package balancer

import "fmt"

// The hard limits of one candidate move, in the order they are checked, and
// their messages. The planner and Recheck both call these.

// fault applies the hard limits to moving VM vi to host to, given the
// moves planned so far. It is on the search's hot path: no allocation.
func (st *state) fault(vi, to int) fault {
	vs := &st.vms[vi]
	dst := &st.hosts[to]
	switch {
	case vs.moved:
		return faultMoved
	case vs.held != movable:
		return faultHeld
	case to == vs.host:
		return faultSameHost
	case !dst.eligible:
		return faultIneligible
	case vs.v.Clustered && st.hosts[vs.host].h.Cluster == "":
		return faultNoCluster
	case vs.v.Clustered && dst.h.Cluster != st.hosts[vs.host].h.Cluster:
		return faultCluster
	}
	return st.destFault(vi, to)
}

// destFault is fault without the checks of the VM alone (moved, held) and
// of the destination's eligibility and cluster: a balancing step's scoring
// asks it of a movable VM and each eligible host of its cluster other than
// its own, the most asked of all, where those checks cannot fail: leaving
// them out took 2 % off a dense fleet's plan.
func (st *state) destFault(vi, to int) fault {
	vs := &st.vms[vi]
	dst := &st.hosts[to]
	if k := vi*len(st.hosts) + to; !st.reachable.has(k) {
		if f := compatFault(&vs.need, &dst.offer); f != faultNone {
			return f
		}
		if f := reachFault(&vs.need.storage, st.hosts[vs.host].h.Cluster, dst.h.Cluster); f != faultNone {
			return f
		}
		st.reachable.add(k)
	}
	if len(vs.refused) > 0 && vs.refused.why(to) != "" {
		return faultRefused
	}
	switch {
	case dst.inflow >= st.cfg.MaxInflowPerHost:
		return faultInflow
	case dst.memUsed+float64(vs.v.MemoryAssigned) > dst.capBytes-float64(st.cfg.MemoryReserveBytes):
		return faultMemory
	case dst.capBytes > 0 && (dst.memUsed+float64(vs.v.MemoryAssigned))/dst.capBytes*100 > st.memLimit(vi):
		return faultMemoryHigh
	case dst.cpu+st.cpuDelta(vi, to) > st.cpuLimit() && !st.denseFill(vi, to):
		return faultCPU
	}
	return spaceFault(&vs.need.storage, &dst.offer.store, st.volPlanned, st.cfg.StorageReserveBytes)
}

// check is fault with its message ("" when the move is within limits).
func (st *state) check(vi, to int) string {
	vs := &st.vms[vi]
	dst := &st.hosts[to]
	srcName := func() (name, cluster string) {
		h := st.hosts[vs.host].h
		return h.Name, h.Cluster
	}
	switch f := st.fault(vi, to); f {
	case faultVendor, faultModel, faultVersion, faultSwitch:
		return compatMessage(f, vs.v, st.hosts[vs.host].h, dst.h)
	case faultCSV, faultStoragePath, faultStorageVolume, faultStorageFull:
		var planned int64
		if t := &dst.offer.store; t.vol >= 0 {
			planned = st.volPlanned[t.vol]
		}
		return storageMessage(f, vs.v, &vs.need.storage, st.hosts[vs.host].h, dst.h, &dst.offer.store, planned, st.cfg.StorageReserveBytes)
	case faultRefused:
		return vs.refused.why(to)
	case faultMoved:
		return "vm is already moved by this plan"
	case faultHeld:
		return vs.note
	case faultSameHost:
		return "vm is already on host " + dst.h.Name
	case faultIneligible:
		return dst.why
	case faultNoCluster:
		name, _ := srcName()
		return fmt.Sprintf("clustered vm, but host %s is in no cluster", name)
	case faultCluster:
		_, cluster := srcName()
		return fmt.Sprintf("clustered vm can move only within cluster %s", cluster)
	case faultInflow:
		return fmt.Sprintf("host %s already receives %d moves (max_inflow_per_host)", dst.h.Name, dst.inflow)
	case faultMemory:
		return fmt.Sprintf("host %s memory in use would be %s, over its %s capacity minus the %s reserve",
			dst.h.Name, formatBytes(int64(dst.memUsed)+vs.v.MemoryAssigned), formatBytes(int64(dst.capBytes)), formatBytes(st.cfg.MemoryReserveBytes))
	case faultMemoryHigh:
		return fmt.Sprintf("host %s memory in use would be %.1f%%, over %s",
			dst.h.Name, (dst.memUsed+float64(vs.v.MemoryAssigned))/dst.capBytes*100, highText("memory_high", st.cfg.MemoryHigh, st.memMargin(vi)))
	case faultCPU:
		if st.dense() {
			return st.denseMessage(vi, to)
		}
		limit := fmt.Sprintf("the %g%% ceiling", st.cfg.CPUCeiling)
		if st.cfg.CPUHigh-st.margin < st.cfg.CPUCeiling {
			limit = highText("cpu_high", st.cfg.CPUHigh, st.margin)
		}
		return fmt.Sprintf("host %s CPU would be %.1f%%, over %s", dst.h.Name, dst.cpu+st.cpuDelta(vi, to), limit)
	}
	return ""
}

// highText names the limit a high threshold sets a destination: the
// threshold itself, or, while balancing, the threshold less the margin
// kept below it (the headroom, or less; see memMargin).
func highText(key string, high, margin float64) string {
	if margin == 0 {
		return fmt.Sprintf("%s (%g%%)", key, high)
	}
	return fmt.Sprintf("%g%% (%s %g%% less headroom %g points)", decimals(high-margin, 2), key, high, margin)
}

// cpuLimit is the CPU load no destination may pass: cpu_high, the load at
// which a host counts as hot, less the margin, or the ceiling when that is
// lower. memLimit is memory's: memory_high less the margin (less on a
// dense fleet, see memMargin). They are the
// planner's own limits, whatever the policy says, so that no policy can
// have a move make a destination hot. The margin is the headroom while the
// search balances, so that one noisy sample after a balancing move does not
// make its destination hot and the next plan move load back (hysteresis:
// hot above the threshold, filled only to the threshold less the
// headroom); it is 0 for policy requests (evacuation, anti-affinity
// repair), which may fill a destination up to the thresholds themselves,
// and for Recheck, which guards the thresholds just before a move starts.
func (st *state) cpuLimit() float64 { return min(st.cfg.CPUHigh-st.margin, st.cfg.CPUCeiling) }

func (st *state) memLimit(vi int) float64 { return st.cfg.MemoryHigh - st.memMargin(vi) }

// denseMemoryHeadroom (percentage points) is the most a balancing move on
// a dense fleet keeps below memory_high on its destination, for a VM of
// static memory (see memMargin).
const denseMemoryHeadroom = 1

// memMargin is how far below memory_high moving VM vi may fill a
// destination: the margin, except on a dense fleet (see dense) for a VM
// whose memory is static, where it is at most denseMemoryHeadroom.
//
// The headroom is there for noise: a destination filled to the threshold
// would read hot at the next sample that reads it a little higher, and
// CPU samples move by points from one to the next. A host's memory in use
// does not: a VM of static memory holds what it is assigned wherever it
// runs, so what moves with noise is the host's own use, a fraction of a
// point. On a fleet that is not dense the full headroom costs little,
// since hosts with CPU room abound; on a dense fleet the few with CPU room
// are often full in memory, and keeping 5 points free there left the
// busiest hosts where they were: on hvbench's dense fleets the hosts with
// CPU room sat at 79–81 % memory, over the 80 % a balancing move filled
// memory to, and the other hosts were past the CPU fill line. A Dynamic
// Memory VM's assignment grows with its demand after it lands, so it
// keeps the full headroom.
func (st *state) memMargin(vi int) float64 {
	if st.margin > denseMemoryHeadroom && !st.vms[vi].v.DynamicMemory && st.dense() {
		return denseMemoryHeadroom
	}
	return st.margin
}

// fillLine is the CPU load a balancing move fills a destination to on a
// fleet that is not dense: cpu_high less the headroom, or the ceiling when
// that is lower. It does not depend on the margin, so that the planner and
// Recheck agree on when a fleet is dense.
func (st *state) fillLine() float64 {
	return min(st.cfg.CPUHigh-st.cfg.Headroom, st.cfg.CPUCeiling)
}

// dense reports whether the eligible hosts' mean CPU load is above the
// fill line: then no placement keeps every host below it, and filling
// destinations only to it would leave the busiest host where it is.
func (st *state) dense() bool { return st.obj.n > 0 && st.obj.pc > st.fillLine() }

// denseFill reports whether moving VM vi to host to may pass the CPU fill
// line because the fleet is dense: the VM leaves the busiest eligible host,
// and the destination ends below the source's new load and at or below
// cpu_ceiling. Such a move lowers the busiest host without making a host
// busier than the one it relieves, so a later plan has no reason to move
// load back (the hysteresis the headroom gives a fleet that is not dense):
// a dense fleet is levelled towards its mean, up to the ceiling, as node
// fairness and ProxLB level it. Memory keeps its limits.
func (st *state) denseFill(vi, to int) bool {
	if !st.dense() {
		return false
	}
	vs := &st.vms[vi]
	src, dst := &st.hosts[vs.host], &st.hosts[to]
	if !src.eligible || src.cpu < st.obj.maxc {
		return false
	}
	after := dst.cpu + st.cpuDelta(vi, to)
	return after <= st.cfg.CPUCeiling && after < src.cpu-st.cpuDelta(vi, vs.host)
}

// denseMessage says why a dense fleet's destination is refused for CPU.
func (st *state) denseMessage(vi, to int) string {
	vs := &st.vms[vi]
	src, dst := &st.hosts[vs.host], &st.hosts[to]
	after := dst.cpu + st.cpuDelta(vi, to)
	switch {
	case after > st.cfg.CPUCeiling:
		return fmt.Sprintf("host %s CPU would be %.1f%%, over the %g%% ceiling", dst.h.Name, after, st.cfg.CPUCeiling)
	case !src.eligible || src.cpu < st.obj.maxc:
		return fmt.Sprintf("host %s CPU would be %.1f%%, over %s; on a dense fleet (mean %.1f%%) only a move off the busiest host may fill past it",
			dst.h.Name, after, highText("cpu_high", st.cfg.CPUHigh, st.margin), st.obj.pc)
	}
	return fmt.Sprintf("host %s CPU would be %.1f%%, not below host %s's %.1f%% after the move (dense fleet, mean %.1f%%)",
		dst.h.Name, after, src.h.Name, src.cpu-st.cpuDelta(vi, vs.host), st.obj.pc)
}
