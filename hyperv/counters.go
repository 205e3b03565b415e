package hyperv

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Load sampling that does not depend on the host's display language.
// Get-Counter resolves counter paths in the host's own language only, so
// get-counters reads the CIM raw performance classes instead, whose class
// and property names never change, twice SampleInterval apart, and the
// client computes the rates (so the arithmetic is Go, tested here, on
// integers PowerShell prints exactly):
//
//   - Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor,
//     PercentTotalRunTime: PERF_100NSEC_TIMER, cumulative 100 ns ticks the
//     logical processor ran. Rate = 100·(X1−X0)/(Y1−Y0) with Y the
//     instance's Timestamp_Sys100NS ("Calculations for Raw Counter Data",
//     PERF_100NSEC_TIMER). Host CPU % is the mean over the "Hv LP n"
//     instances (_Total, their sum, is not used).
//   - Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor,
//     PercentGuestRunTime: same type, one instance "<vm name>:Hv VP <n>"
//     per virtual processor of a running VM.
//   - the same instances' CPUWaitTimePerDispatch and its base
//     CPUWaitTimePerDispatch_Base, the raw pair behind perfmon's
//     \Hyper-V Hypervisor Virtual Processor(*)\CPU Wait Time Per Dispatch,
//     "the average time (in nanoseconds) spent waiting for a virtual
//     processor to be dispatched onto a logical processor": the first
//     counts the nanoseconds the processor waited, the base the
//     dispatches, both cumulative. Over the interval, wait per dispatch
//     is (W1−W0)/(B1−B0) ns and dispatches per second (B1−B0)/(Y1−Y0)·10⁷.
//     Hosts that lack the pair (null or absent) leave the VM's HasWait
//     false; the collector then plans with the CPU it received.
//   - Win32_PerfRawData_PerfOS_Memory, AvailableMBytes:
//     PERF_COUNTER_RAWCOUNT, the raw value is the value.
//   - Win32_PerfRawData_BalancerStats_HyperVDynamicMemoryVM,
//     AveragePressure: a raw count (percent), one instance per running VM
//     with dynamic memory, named after the VM.
//
// The class and property names are those of microsoft/wmi's generated
// classes (server2019/root/cimv2) and the windows_exporter hyperv
// collector.

// rawSampleJSON is one instance of get-counters' output: which set it
// belongs to, which of the two reads (0 or 1), the instance name, the raw
// value and the instance's Timestamp_Sys100NS.
type rawSampleJSON struct {
	Set       string
	Sample    int
	Name      string
	Value     psInt64
	Timestamp psInt64 `json:"Timestamp_Sys100NS"`
	// VP only: CPUWaitTimePerDispatch (ns waited) and its base (dispatches).
	Wait       psInt64
	Dispatches psInt64
}

// Sample sets as get-counters names them.
const (
	setLP       = "LP"
	setVP       = "VP"
	setMemory   = "Memory"
	setPressure = "Pressure"
)

const (
	vpSeparator   = ":hv vp "
	totalInstance = "_total"
)

// fileTimeUnixEpoch is 1970-01-01 in 100 ns ticks since 1601-01-01, the
// epoch of Timestamp_Sys100NS (a FILETIME, UTC).
const fileTimeUnixEpoch = 116444736000000000

// parseCounters decodes get-counters output and computes the rates.
func parseCounters(out []byte) (Counters, error) {
	samples, err := decodeList[rawSampleJSON](ScriptGetCounters, out)
	if err != nil {
		return Counters{}, err
	}
	return rates(samples)
}

// timer is one PERF_100NSEC_TIMER instance's two reads, with the wait
// and dispatch counts a virtual processor's reads carry.
type timer struct {
	name         string // lower case
	have         [2]bool
	value, stamp [2]int64
	haveWait     [2]bool
	wait, disp   [2]int64
}

// waited is the instance's wait per dispatch (ns) and dispatches per
// second over the interval; ok is false when a read lacked the pair, time
// did not advance or a count went back. No dispatch gives 0 and 0.
func (t *timer) waited() (perDispatch, perSecond float64, ok bool) {
	if !t.haveWait[0] || !t.haveWait[1] {
		return 0, 0, false
	}
	dt := t.stamp[1] - t.stamp[0]
	dw, dd := t.wait[1]-t.wait[0], t.disp[1]-t.disp[0]
	if dt <= 0 || dw < 0 || dd < 0 {
		return 0, 0, false
	}
	if dd == 0 {
		return 0, 0, true
	}
	return float64(dw) / float64(dd), float64(dd) / (float64(dt) / 1e7), true
}

// percent is the timer's rate over the interval, in percent of one
// processor, clamped to 0-100; ok is false when the instance was not read
// twice, time did not advance or the counter went back (a restart).
func (t *timer) percent() (float64, bool) {
	if !t.have[0] || !t.have[1] {
		return 0, false
	}
	dt := t.stamp[1] - t.stamp[0]
	dv := t.value[1] - t.value[0]
	if dt <= 0 || dv < 0 {
		return 0, false
	}
	return min(100*float64(dv)/float64(dt), 100), true
}

// timers pairs the two reads of a set's instances by name; instances that
// share a name (VMs with one name) pair in the order they came.
type timers struct {
	list []*timer
	seen [2]map[string]int // name → instances of it met so far, per read
	at   map[string][]int  // name → indexes into list, in order
}

func newTimers() *timers {
	return &timers{seen: [2]map[string]int{{}, {}}, at: map[string][]int{}}
}

func (ts *timers) add(s rawSampleJSON) error {
	if s.Sample != 0 && s.Sample != 1 {
		return counterError("%s sample %d of %q: want 0 or 1", s.Set, s.Sample, s.Name)
	}
	if !s.Value.ok || !s.Timestamp.ok {
		return counterError("%s %q: no value or timestamp", s.Set, s.Name)
	}
	name := strings.ToLower(s.Name)
	n := ts.seen[s.Sample][name]
	ts.seen[s.Sample][name] = n + 1
	idx := ts.at[name]
	if n == len(idx) {
		ts.list = append(ts.list, &timer{name: name})
		idx = append(idx, len(ts.list)-1)
		ts.at[name] = idx
	}
	t := ts.list[idx[n]]
	t.have[s.Sample], t.value[s.Sample], t.stamp[s.Sample] = true, s.Value.v, s.Timestamp.v
	if s.Wait.ok && s.Dispatches.ok {
		t.haveWait[s.Sample], t.wait[s.Sample], t.disp[s.Sample] = true, s.Wait.v, s.Dispatches.v
	}
	return nil
}

type vpSample struct {
	index           int
	value           float64
	wait, perSecond float64
	hasWait         bool
}

// rates turns the raw samples into Counters: the host's CPU and free
// memory, and per VM name its virtual processors (by index) and memory
// pressure. VMs that share a name share an entry: their processors are all
// listed and the highest pressure is kept.
func rates(samples []rawSampleJSON) (Counters, error) {
	c := Counters{VMs: map[string]VMCounters{}}
	lps, vpt := newTimers(), newTimers()
	var haveMem bool
	var stamp int64
	for _, s := range samples {
		if s.Sample == 1 && s.Timestamp.ok {
			stamp = max(stamp, s.Timestamp.v)
		}
		switch s.Set {
		case setLP:
			if strings.EqualFold(s.Name, totalInstance) {
				continue
			}
			if err := lps.add(s); err != nil {
				return Counters{}, err
			}
		case setVP:
			if strings.EqualFold(s.Name, totalInstance) {
				continue
			}
			if err := vpt.add(s); err != nil {
				return Counters{}, err
			}
		case setMemory:
			v := s.Value
			if !v.ok || v.v > math.MaxInt64/(1<<20) {
				return Counters{}, counterError("available memory sample %q", s.Name)
			}
			c.AvailableMemory, haveMem = v.v<<20, true
		case setPressure:
			name := strings.ToLower(s.Name)
			if !s.Value.ok || name == "" || name == totalInstance {
				continue
			}
			v := float64(s.Value.v)
			vc := c.VMs[name]
			if !vc.HasPressure || v > vc.MemoryPressure {
				vc.MemoryPressure, vc.HasPressure = v, true
			}
			c.VMs[name] = vc
		}
	}
	var sum float64
	var n int
	for _, t := range lps.list {
		if p, ok := t.percent(); ok {
			sum += p
			n++
		}
	}
	if n == 0 {
		return Counters{}, counterError("no hyper-v hypervisor logical processor read twice")
	}
	c.HostCPUPercent = sum / float64(n)
	if !haveMem {
		return Counters{}, counterError("no available memory sample")
	}
	if stamp > fileTimeUnixEpoch {
		c.Time = time.Unix(0, 0).Add(time.Duration(stamp-fileTimeUnixEpoch) * 100).UTC()
	}
	vps := map[string][]vpSample{}
	for _, t := range vpt.list {
		i := strings.LastIndex(t.name, vpSeparator)
		if i < 0 {
			continue
		}
		idx, err := strconv.Atoi(t.name[i+len(vpSeparator):])
		if err != nil || idx < 0 {
			continue
		}
		p, ok := t.percent()
		if !ok {
			continue // a VM that started or stopped between the reads
		}
		w, ps, hasWait := t.waited()
		vps[t.name[:i]] = append(vps[t.name[:i]], vpSample{idx, p, w, ps, hasWait})
	}
	for name, list := range vps {
		slices.SortStableFunc(list, func(a, b vpSample) int { return cmp.Compare(a.index, b.index) })
		vc := c.VMs[name]
		vc.CPUPercent = make([]float64, len(list))
		vc.WaitPerDispatch = make([]float64, len(list))
		vc.DispatchesPerSecond = make([]float64, len(list))
		vc.HasWait = true
		var sum float64
		for i, s := range list {
			vc.CPUPercent[i] = s.value
			sum += s.value
			vc.WaitPerDispatch[i], vc.DispatchesPerSecond[i] = s.wait, s.perSecond
			vc.HasWait = vc.HasWait && s.hasWait
		}
		vc.MeanCPUPercent = sum / float64(len(list))
		if !vc.HasWait {
			vc.WaitPerDispatch, vc.DispatchesPerSecond = nil, nil
		}
		c.VMs[name] = vc
	}
	return c, nil
}

func counterError(format string, args ...any) error {
	return fmt.Errorf("parse %s output: %s: %w", ScriptGetCounters, fmt.Sprintf(format, args...), ErrUnexpectedOutput)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
