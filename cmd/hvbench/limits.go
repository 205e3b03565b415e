package main

import (
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// limits are the hard limits every contender obeys, taken from the
// planner's shipped defaults so that every contender is held to the same
// line hvbalancer is.
type limits struct {
	ReserveBytes int64   `json:"memory_reserve_bytes"` // kept free on a destination after the move
	CPUCeiling   float64 `json:"cpu_ceiling"`          // percent: no destination above it after the move
	// MemoryHigh and CPUHigh (percent) are not limits every contender
	// obeys, but ones hvbalancer's planner keeps, as the shipped policy's
	// destination rule does: no move leaves its destination's memory above
	// memory_high, nor its CPU above cpu_high unless the destination ends
	// below the source (a dense fleet's move off its busiest host). A move
	// that does is counted apart (see Result.PastLimits), and a missed
	// target says when the best baseline made one (see Target.Within).
	MemoryHigh float64 `json:"memory_high"`
	CPUHigh    float64 `json:"cpu_high"`
}

// defaultLimits returns the shipped planner's memory reserve and CPU ceiling.
func defaultLimits() limits {
	c := balancer.DefaultConfig()
	return limits{ReserveBytes: c.MemoryReserveBytes, CPUCeiling: c.CPUCeiling, MemoryHigh: c.MemoryHigh, CPUHigh: c.CPUHigh}
}

// fleet is a mutable placement of a snapshot's VMs: the loads every
// contender reads and changes as it moves VMs.
type fleet struct {
	snap    *collector.Snapshot
	lim     limits
	hostOf  []int     // VM index → host index
	cores   []float64 // host index → logical processors in use
	memUsed []int64   // host index → assigned memory of its VMs
	index   map[string]int
	// key identifies the placement: the same VMs on the same hosts give
	// the same key, however the fleet got there (a move tried and undone
	// leaves it as it was). See placeKey.
	key uint64
	// rule, when set, is a limit beyond the hard ones that the contender
	// is held to (see policyRule); nil for the contenders held to the hard
	// limits alone.
	rule *policyRule
}

// placeKey is the part of a fleet's key for VM vi on host hi: the key is
// the XOR of every VM's part, so a move changes it by two parts (Zobrist
// hashing) and a move undone restores it.
func placeKey(vi, hi int) uint64 {
	x := uint64(vi)<<20 ^ uint64(hi) + 0x9e3779b97f4a7c15 // splitmix64
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newFleet places the snapshot's VMs where the snapshot says they are.
func newFleet(s *collector.Snapshot, lim limits) *fleet {
	f := &fleet{snap: s, lim: lim, hostOf: make([]int, len(s.VMs)),
		cores: make([]float64, len(s.Hosts)), memUsed: make([]int64, len(s.Hosts)),
		index: make(map[string]int, len(s.Hosts))}
	for i, h := range s.Hosts {
		f.index[h.Name] = i
	}
	for vi := range s.VMs {
		hi := f.index[s.VMs[vi].Host]
		f.hostOf[vi] = hi
		f.cores[hi] += vmCores(&s.VMs[vi])
		f.memUsed[hi] += s.VMs[vi].MemoryAssigned
		f.key ^= placeKey(vi, hi)
	}
	return f
}

// vmCores is what a VM adds to its host's CPU, in logical processors.
func vmCores(v *collector.VM) float64 {
	if !v.Running() {
		return 0
	}
	return v.CPU.Mean
}

// cpu is host hi's CPU load in percent.
func (f *fleet) cpu(hi int) float64 {
	return f.cores[hi] / float64(f.snap.Hosts[hi].LogicalProcessors) * 100
}

// mem is host hi's memory load in percent.
func (f *fleet) mem(hi int) float64 {
	return float64(f.memUsed[hi]) / float64(f.snap.Hosts[hi].MemoryBytes) * 100
}

// movable says whether VM vi may leave its host at all: it runs, its host
// is healthy and has migration enabled.
func (f *fleet) movable(vi int) bool {
	h := &f.snap.Hosts[f.hostOf[vi]]
	return f.snap.VMs[vi].Running() && h.Health == collector.HealthOK && h.MigrationEnabled
}

// allowed says whether moving VM vi to host to keeps every hard limit, and
// the fleet's rule when it has one.
func (f *fleet) allowed(vi, to int) bool {
	if to == f.hostOf[vi] || !f.movable(vi) {
		return false
	}
	h := &f.snap.Hosts[to]
	if h.Health != collector.HealthOK || !h.MigrationEnabled || h.Maintenance {
		return false
	}
	v := &f.snap.VMs[vi]
	if f.memUsed[to]+v.MemoryAssigned+f.lim.ReserveBytes > h.MemoryBytes {
		return false
	}
	if (f.cores[to]+vmCores(v))/float64(h.LogicalProcessors)*100 > f.lim.CPUCeiling+1e-9 {
		return false
	}
	return f.rule == nil || f.rule.allows(vi, to)
}

// pastLimits says whether moving VM vi to host to goes past a limit
// hvbalancer keeps (see limits.MemoryHigh): the destination's memory ends
// above memory_high, or its CPU above cpu_high and not below the source's.
func (f *fleet) pastLimits(vi, to int) bool {
	v, h := &f.snap.VMs[vi], &f.snap.Hosts[to]
	from := f.hostOf[vi]
	if float64(f.memUsed[to]+v.MemoryAssigned)/float64(h.MemoryBytes)*100 > f.lim.MemoryHigh+1e-9 {
		return true
	}
	cpuTo := (f.cores[to] + vmCores(v)) / float64(h.LogicalProcessors) * 100
	cpuFrom := (f.cores[from] - vmCores(v)) / float64(f.snap.Hosts[from].LogicalProcessors) * 100
	return cpuTo > f.lim.CPUHigh+1e-9 && cpuTo >= cpuFrom
}

// move places VM vi on host to, whether or not the limits allow it (the
// caller counts violations).
func (f *fleet) move(vi, to int) {
	from := f.hostOf[vi]
	v := &f.snap.VMs[vi]
	f.cores[from] -= vmCores(v)
	f.memUsed[from] -= v.MemoryAssigned
	f.cores[to] += vmCores(v)
	f.memUsed[to] += v.MemoryAssigned
	f.hostOf[vi] = to
	f.key ^= placeKey(vi, from) ^ placeKey(vi, to)
}

// snapshot returns a copy of the snapshot with the VMs where the fleet has
// them and every host's load recomputed from its VMs.
func (f *fleet) snapshot() *collector.Snapshot {
	s := *f.snap
	s.Hosts = append([]collector.Host(nil), f.snap.Hosts...)
	s.VMs = append([]collector.VM(nil), f.snap.VMs...)
	for vi := range s.VMs {
		s.VMs[vi].Host = s.Hosts[f.hostOf[vi]].Name
	}
	for hi := range s.Hosts {
		s.Hosts[hi].CPU = flat(min(f.cpu(hi), 100))
		s.Hosts[hi].Memory = flat(min(f.mem(hi), 100))
	}
	return &s
}

// flat is a Stat whose every figure is v.
func flat(v float64) collector.Stat { return collector.Stat{Last: v, Mean: v, P95: v, Max: v} }
