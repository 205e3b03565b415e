package collector

import (
	"math"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// CPU demand on a saturated host.
//
// A host's counters say what its VMs received. When they want more than
// its logical processors (LPs) give, every one of them reads less than it
// wanted and the host reads 100 %, however far over it is: planning on
// those readings moves too few VMs off exactly the hosts that need it
// most. What was wanted is read from the hypervisor's wait counter,
// \Hyper-V Hypervisor Virtual Processor(*)\CPU Wait Time Per Dispatch:
// the nanoseconds a virtual processor (VP) waited, once ready, to be
// dispatched onto an LP, per dispatch (see hyperv's counters.go for the
// raw pair it is computed from).
//
// The model. Over a sample interval a VP runs a fraction r of the time
// (% Guest Run Time) and is dispatched n times a second. Each dispatch
// waits idleWaitPerDispatch even on an idle host; what it waits beyond
// that is contention, so the share of the interval the VP spent ready but
// kept off an LP is
//
//	w = (wait per dispatch − idleWaitPerDispatch) · n
//
// A VP alternates bursts of work with idle time of its own (a guest
// waiting for I/O or for a user), and the idle time does not shrink when
// the bursts are slowed: waiting only stretches the bursts. So the work r
// it did would have taken r of the 1 − w of the interval it was not kept
// waiting, and what it wanted is
//
//	demand = r / (1 − w)
//
// bounded by r below and by the whole VP (1) above. A VP that wanted all
// its time (r + w = 1) gives 1; one that never waited gives r. This is
// the brief's received × (run + wait) / run per dispatch when the VP is
// never idle, and lower when it is: adding the wait to the run time
// counts a VP that wants half its time as wanting more than half on a
// busy host. A VM's demand is the mean over its VPs times its VPs, as its
// received CPU is; a host's is its received CPU plus what its VMs wanted
// beyond what they received, as a percent of its LPs, so a host whose VMs
// want 1.3 times its LPs reads about 130 %.
//
// Fallbacks: a VM whose counters lack the wait (a host that does not
// report it, a VM whose name another VM shares, a VP without dispatches
// in the interval) is taken to want what it received; the host is marked
// CPUWaitUnknown in the snapshot and logged once when that begins.
//
// The planner reads loads through Stat.CPUDemand, which uses the window's
// Demand where the collector recorded one, so it plans with demand
// wherever it is known and with received CPU elsewhere.

// idleWaitPerDispatch is what a dispatch waits on a host with no
// contention: 7–10 µs measured on an otherwise idle host; monitoring
// tools warn above 60 µs and alarm above 100 µs. Waiting up to it is not
// counted as contention.
const idleWaitPerDispatch = 10_000.0 // ns

// Differences smaller than these are noise, not demand: a window's Demand
// is recorded only when one of its samples exceeds the CPU received by
// more.
const (
	vmDemandNoise   = 0.01 // logical processors
	hostDemandNoise = 0.5  // percentage points
)

// Demand is a CPU window's summary of what was wanted rather than
// received (last, mean, 95th percentile and maximum, in the window's
// unit). It is recorded only where some sample wanted more than it
// received; elsewhere it is the zero value and left out of the snapshot.
type Demand struct {
	Last float64 `json:"last"`
	Mean float64 `json:"mean"`
	P95  float64 `json:"p95"`
	Max  float64 `json:"max"`
}

// vpDemand is what a VP wanted, as a fraction of its time, from its run
// time (percent), its wait per dispatch (ns) and its dispatches per
// second; see the model above.
func vpDemand(runPercent, waitPerDispatch, perSecond float64) float64 {
	r := clamp(runPercent, 100) / 100
	if !(perSecond > 0) || !(waitPerDispatch > idleWaitPerDispatch) {
		return r
	}
	w := (waitPerDispatch - idleWaitPerDispatch) * perSecond / 1e9
	if w >= 1-r {
		return 1
	}
	return math.Max(r, r/(1-w))
}

// vmDemand is a running VM's CPU demand in logical processors from its
// counters, and whether they told it: false (and 0) when the VM has no
// counters of its own or they lack the wait.
func vmDemand(v hyperv.VM, sameName int, cs hyperv.Counters) (float64, bool) {
	if v.State != hyperv.VMStateRunning || v.ProcessorCount <= 0 || sameName != 1 {
		return 0, false
	}
	vc, ok := cs.VMs[strings.ToLower(v.Name)]
	if !ok || !vc.HasWait || len(vc.CPUPercent) == 0 || len(vc.WaitPerDispatch) != len(vc.CPUPercent) || len(vc.DispatchesPerSecond) != len(vc.CPUPercent) {
		return 0, false
	}
	var sum float64
	for i, run := range vc.CPUPercent {
		sum += vpDemand(run, vc.WaitPerDispatch[i], vc.DispatchesPerSecond[i])
	}
	return sum / float64(len(vc.CPUPercent)) * float64(v.ProcessorCount), true
}

// noteDemandLocked adds a good poll's demand samples at at, one beside
// each CPU sample the poll added: each VM's of ids (already in its CPU
// window) and the host's, hostCPU plus what its VMs wanted beyond what
// they received. It marks the host when a running VM's wait was unknown,
// and logs when that begins or ends.
func (c *Collector) noteDemandLocked(name string, st *hostState, ids []string, cs hyperv.Counters, hostCPU float64, at time.Time) {
	sameName := make(map[string]int, len(ids))
	for _, id := range ids {
		if vs := c.vms[id]; vs != nil {
			sameName[strings.ToLower(vs.vm.Name)]++
		}
	}
	span := c.cfg.Window
	var unmet float64
	unknown := false
	for _, id := range ids {
		vs := c.vms[id]
		if vs == nil || vs.cpu.len() == 0 {
			continue
		}
		received := vs.cpu.samples[vs.cpu.len()-1].v
		d, ok := vmDemand(vs.vm, sameName[strings.ToLower(vs.vm.Name)], cs)
		if !ok {
			unknown = unknown || vs.vm.State == hyperv.VMStateRunning
			d = received
		}
		d = math.Max(d, received)
		vs.demand.add(at, d, span)
		unmet += d - received
	}
	host := hostCPU
	if lps := st.facts.LogicalProcessors; lps > 0 {
		host += unmet / float64(lps) * 100
	}
	st.demand.add(at, host, span)
	if unknown != st.waitUnknown {
		if unknown {
			c.log.Info("host does not report CPU wait per dispatch for all its VMs: their demand is taken as the CPU they received", "host", name)
		} else {
			c.log.Info("host reports CPU wait per dispatch again: its VMs' demand is estimated", "host", name)
		}
	}
	st.waitUnknown = unknown
}

// withDemand is cpu, the summary of a CPU window's values, with the
// summary of its demand values when one of them exceeds its received
// value by more than noise. The two lists are one per sample, in order.
func withDemand(cpu Stat, received, demand []float64, noise float64) Stat {
	if len(received) != len(demand) {
		return cpu
	}
	for i, d := range demand {
		if d > received[i]+noise {
			s := summarize(demand)
			cpu.Demand = Demand{Last: s.Last, Mean: s.Mean, P95: s.P95, Max: s.Max}
			return cpu
		}
	}
	return cpu
}

// cpuStat is the VM's CPU window summarized, with its demand where it
// wanted more than it received.
func (vs *vmState) cpuStat() Stat {
	return withDemand(vs.cpu.stat(), vs.cpu.values(), vs.demand.values(), vmDemandNoise)
}

// values is the window's values, oldest first.
func (w *window) values() []float64 {
	vals := make([]float64, len(w.samples))
	for i, s := range w.samples {
		vals[i] = s.v
	}
	return vals
}
