package collector

import (
	"math"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

func TestVPDemand(t *testing.T) {
	// A VP kept waiting: over one second it ran r and was dispatched
	// r/250µs times; each dispatch waited idle + extra ns.
	kept := func(r, w float64) (run, perDispatch, perSecond float64) {
		n := r / 250e-6
		return r * 100, idleWaitPerDispatch + w/n*1e9, n
	}
	tests := []struct {
		name                        string
		run, perDispatch, perSecond float64
		want                        float64
	}{
		{"no dispatch in the interval: what it received", 0, 0, 0, 0},
		{"no dispatch but a run time: what it received", 30, 0, 0, 0.3},
		{"idle host: waits no more than an idle dispatch", 40, 8000, 1600, 0.4},
		{"exactly an idle dispatch", 40, idleWaitPerDispatch, 1600, 0.4},
		{"wanted all its time, got 77 %", 0, 0, 0, 1},
		{"wanted half, ran 35 %, kept waiting 30 %", 0, 0, 0, 0.5},
		{"waits more than the time it did not run: all of it", 50, 1e9, 1, 1},
		{"run time above 100 % (clock skew) is 100 %", 100.4, 8000, 4000, 1},
		{"NaN wait: what it received", 20, math.NaN(), 100, 0.2},
	}
	tests[4].run, tests[4].perDispatch, tests[4].perSecond = kept(0.77, 0.23)
	tests[5].run, tests[5].perDispatch, tests[5].perSecond = kept(0.35, 0.30)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := vpDemand(tc.run, tc.perDispatch, tc.perSecond); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("vpDemand(%v, %v, %v) = %v, want %v", tc.run, tc.perDispatch, tc.perSecond, got, tc.want)
			}
		})
	}
}

func TestVMDemand(t *testing.T) {
	vm := func(name string, cpus int) hyperv.VM {
		return hyperv.VM{Name: name, State: hyperv.VMStateRunning, ProcessorCount: cpus}
	}
	// Two VPs: one wanted all its time and got 77 %, one never waited.
	waiting := hyperv.VMCounters{CPUPercent: []float64{77, 40}, MeanCPUPercent: 58.5,
		WaitPerDispatch: []float64{idleWaitPerDispatch + 0.23/3080*1e9, 9000}, DispatchesPerSecond: []float64{3080, 1600}, HasWait: true}
	noWait := waiting
	noWait.WaitPerDispatch, noWait.DispatchesPerSecond, noWait.HasWait = nil, nil, false
	cs := hyperv.Counters{VMs: map[string]hyperv.VMCounters{"sql01": waiting, "old": noWait, "datenbank (2)": waiting}}
	tests := []struct {
		name     string
		vm       hyperv.VM
		sameName int
		want     float64
		ok       bool
	}{
		{"mean VP demand times VPs", vm("SQL01", 2), 1, 1.4, true},
		{"a German host's VM: instance names are the VM's own", vm("Datenbank (2)", 2), 1, 1.4, true},
		{"host without the wait counter: unknown", vm("old", 2), 1, 0, false},
		{"no counters of its own: unknown", vm("web", 2), 1, 0, false},
		{"a name two VMs share: unknown", vm("sql01", 2), 2, 0, false},
		{"not running", hyperv.VM{Name: "sql01", State: hyperv.VMStateOff, ProcessorCount: 2}, 1, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := vmDemand(tc.vm, tc.sameName, cs)
			if ok != tc.ok || math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("vmDemand = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestWithDemand(t *testing.T) {
	cpu := Stat{Last: 100, Mean: 100, P95: 100, Max: 100}
	if got := withDemand(cpu, []float64{100, 100}, []float64{100.2, 100}, hostDemandNoise); got.Demand != (Demand{}) {
		t.Errorf("noise recorded as demand: %+v", got.Demand)
	}
	got := withDemand(cpu, []float64{100, 100}, []float64{120, 140}, hostDemandNoise)
	if want := (Demand{Last: 140, Mean: 130, P95: 140, Max: 140}); got.Demand != want {
		t.Errorf("demand %+v, want %+v", got.Demand, want)
	}
	if d := got.CPUDemand(); d != 135 {
		t.Errorf("CPUDemand = %v, want 135 (of the demand, not the 100 received)", d)
	}
	if d := cpu.CPUDemand(); d != 100 {
		t.Errorf("CPUDemand without demand = %v, want 100", d)
	}
}
