package collector

import (
	"math"
	"slices"
	"time"
)

// The load model after moves.
//
// A host's window holds samples taken before VMs arrived on it or left it
// (the daemon's own migrations, or anyone's). Read as they are, they show
// a destination as it was before its new VMs came and a source as if they
// were still there, for as long as the window lasts: the planner then
// sees the hosts it just relieved still hot and the ones it just filled
// still cool, and moves VMs back. So the collector notes, per host, each
// VM that arrived or left between two of its good polls, and when it
// summarizes the host's window it shifts every sample taken before a
// change by that VM's current demand, as a percent of the host: plus for
// an arrival, minus for a departure. The demand is the one the planner
// plans with (Stat.CPUDemand of the VM's CPU window, in logical processors
// of the host; its assigned memory, of the host's capacity), so once every
// sample is from before the change, the host's mean and p95 move by
// exactly what the planner predicted for the move. Samples taken after a
// change are measured with the VM in place and stay as they are; once the
// window holds only those, the host's load is measured again. The host's
// demand window (demand.go) is shifted the same way; on a saturated
// source, a received sample follows its shifted demand up to 100 %, as
// the VMs left behind take what they were denied.

// LoadModel says how a snapshot host's CPU and Memory were made.
type LoadModel string

// Load models. The zero value is a window of measurements as they were
// taken.
const (
	// LoadMeasured (written as no load_model at all) is the window's
	// samples as they were taken.
	LoadMeasured LoadModel = ""
	// LoadProjected is the window's samples with those taken before a VM
	// arrived or left shifted by that VM's demand (see Host.ProjectedUntil).
	LoadProjected LoadModel = "projected"
)

// known reports whether m is a load model this version writes.
func (m LoadModel) known() bool { return m == LoadMeasured || m == LoadProjected }

// CPUDemand is the CPU use a window stands for: the mean of its mean and
// 95th percentile, so that one spike barely moves it while a sustained
// peak counts; of what was wanted where the window records it (Demand),
// else of what was received. The planner plans hosts and VMs with it, and
// the collector projects hosts' loads after moves with it.
func (s Stat) CPUDemand() float64 {
	if s.Demand != (Demand{}) {
		return (s.Demand.Mean + s.Demand.P95) / 2
	}
	return (s.Mean + s.P95) / 2
}

// MemoryDemand is the memory use a host's window stands for: its 95th
// percentile, because memory must fit at its high mark.
func (s Stat) MemoryDemand() float64 { return s.P95 }

// change is one VM arriving on or leaving a host, as the host's VM list
// showed it from one good poll to the next.
type change struct {
	at   time.Time // the poll that showed it first: samples before it were taken before the change
	vm   string    // the VM's ID
	sign float64   // +1 it arrived, -1 it left
	// Its demand when the change was seen, for when the collector has
	// forgotten the VM since (it is then no longer on any host).
	cores float64 // logical processors
	mem   int64   // assigned memory, bytes
}

// noteChangesLocked records, at the host's good poll at time at, the VMs
// that arrived on it or left it since its previous good poll: ids is what
// it holds now, st.vmIDs what it held then. The host's first good poll
// records nothing: it has no samples before it.
func (c *Collector) noteChangesLocked(st *hostState, ids []string, at time.Time) {
	if !st.listed {
		st.listed = true
		return
	}
	before := make(map[string]bool, len(st.vmIDs))
	for _, id := range st.vmIDs {
		before[id] = true
	}
	for _, id := range ids {
		if !before[id] {
			st.changes = append(st.changes, c.changeOfLocked(id, at, +1))
		}
		delete(before, id)
	}
	left := make([]string, 0, len(before))
	for _, id := range st.vmIDs {
		if before[id] {
			left = append(left, id)
		}
	}
	for _, id := range left {
		st.changes = append(st.changes, c.changeOfLocked(id, at, -1))
	}
}

// changeOfLocked is VM id's change at time at, with its demand as known now.
func (c *Collector) changeOfLocked(id string, at time.Time, sign float64) change {
	ch := change{at: at, vm: id, sign: sign}
	if vs := c.vms[id]; vs != nil {
		ch.cores, ch.mem = vs.cpuStat().CPUDemand(), vs.vm.MemoryAssigned
	}
	return ch
}

// forgetChanges drops the changes no sample of the host's window predates:
// they adjust nothing any more.
func (st *hostState) forgetChanges() {
	if len(st.changes) == 0 {
		return
	}
	oldest, ok := st.cpu.oldest()
	if !ok {
		st.changes = nil
		return
	}
	st.changes = slices.DeleteFunc(st.changes, func(ch change) bool { return !oldest.Before(ch.at) })
}

// unreserved takes back an arrival's shift from the memory samples that
// held the VM's memory already: Hyper-V reserves it on the destination when
// the copy starts, while the VM is still listed by its source, so the
// samples taken during the copy need no shift. A shifted sample that reads
// more than half the VM's memory above the host's first sample with the VM
// listed is taken for one of them. vals are samples' values shifted by
// every change (see window.shifted).
func unreserved(samples []sample, changes []change, vals, deltas []float64) []float64 {
	for j, ch := range changes {
		d := deltas[j]
		if d <= 0 {
			continue
		}
		k := slices.IndexFunc(samples, func(s sample) bool { return !s.t.Before(ch.at) })
		if k < 0 {
			continue
		}
		for i := range k {
			if vals[i] > vals[k]+d/2 {
				vals[i] -= d
			}
		}
	}
	return vals
}

// projectedCPU is the host's CPU window, received and demand, each
// sample shifted by the deltas of the changes made after it. Demand is
// shifted as it is and bounded below by 0 only (a host's VMs may want more
// than it has). A received sample that fell short of its demand (a
// saturated host) becomes its shifted demand up to 100: a VM that leaves
// frees what it wanted, and the others take what they were denied. Other
// received samples are shifted as they are, within 0..100.
func projectedCPU(st *hostState, dcpu []float64) (received, demand []float64) {
	received = bounded(st.cpu.shifted(st.changes, dcpu))
	if st.demand.len() != st.cpu.len() {
		return received, received
	}
	demand = st.demand.shifted(st.changes, dcpu)
	for i, d := range demand {
		demand[i] = math.Max(d, 0)
		if st.demand.samples[i].v > st.cpu.samples[i].v {
			received[i] = clamp(demand[i], 100)
		}
	}
	return received, demand
}

// bounded bounds shifted values to 0..100, as a measured percent is.
func bounded(vals []float64) []float64 {
	for i, v := range vals {
		vals[i] = clamp(v, 100)
	}
	return vals
}

// loadLocked summarizes the host's windows under the load model: measured
// when no VM arrived or left within them, else projected, with the time
// until which it stays projected (when the last sample taken before a
// change leaves the window).
func (c *Collector) loadLocked(st *hostState) (cpu, mem Stat, model LoadModel, until time.Time) {
	if len(st.changes) == 0 {
		cpu = withDemand(st.cpu.stat(), st.cpu.values(), st.demand.values(), hostDemandNoise)
		return cpu, st.mem.stat(), LoadMeasured, time.Time{}
	}
	lps, capacity := float64(st.facts.LogicalProcessors), float64(st.facts.MemoryCapacity)
	dcpu := make([]float64, len(st.changes))
	dmem := make([]float64, len(st.changes))
	var newest time.Time
	for i, ch := range st.changes {
		cores, bytes := ch.cores, ch.mem
		if vs := c.vms[ch.vm]; vs != nil {
			cores, bytes = vs.cpuStat().CPUDemand(), vs.vm.MemoryAssigned
		}
		if lps > 0 {
			dcpu[i] = ch.sign * cores / lps * 100
		}
		if capacity > 0 {
			dmem[i] = ch.sign * float64(bytes) / capacity * 100
		}
		if ch.at.After(newest) {
			newest = ch.at
		}
	}
	received, demand := projectedCPU(st, dcpu)
	cpu = withDemand(summarize(received), received, demand, hostDemandNoise)
	mem = summarize(bounded(unreserved(st.mem.samples, st.changes, st.mem.shifted(st.changes, dmem), dmem)))
	if last, ok := st.cpu.lastBefore(newest); ok {
		until = last.Add(c.cfg.Window)
	}
	return cpu, mem, LoadProjected, until
}
