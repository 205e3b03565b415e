package collector_test

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// starved are the counters of a VM of cpus VPs, each of which wanted
// want of its time and received run (fractions), as the hypervisor
// reports them with 250 µs per dispatch and 10 µs of idle wait (what
// the estimator takes an idle dispatch to wait, so it is exact here).
func starved(cpus int, want, run float64) hyperv.VMCounters {
	vc := hyperv.VMCounters{HasWait: true}
	// The VP's wait w from want = run/(1−w).
	w := 1 - run/want
	n := run / 250e-6
	for range cpus {
		vc.CPUPercent = append(vc.CPUPercent, run*100)
		vc.WaitPerDispatch = append(vc.WaitPerDispatch, 10000+w/n*1e9)
		vc.DispatchesPerSecond = append(vc.DispatchesPerSecond, n)
	}
	vc.MeanCPUPercent = run * 100
	return vc
}

// The IDs of the demand tests' VMs a and b.
const idA, idB = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"

// saturatedHost is a collector of one host, HV01 of 8 logical processors
// and a 5-minute window, running VMs a (8 VPs) and b (4 VPs) with wait
// counters: a's VPs want all their time, b's half, 10 of 8 LPs; at a
// fair share of 0.75 a gets 6 LPs and b 2. It has polled twice, a minute
// apart: s is the second snapshot, src and cs the host and its counters,
// for the test to change.
func saturatedHost(t *testing.T) (f *fixture, src *collectortest.Source, cs hyperv.Counters, s *collector.Snapshot) {
	t.Helper()
	src = collectortest.NewSource(hostInfo("HV01", 8, 64), running(idA, "a", 8, 50), running(idB, "b", 4, 50))
	f = newFixture(t, collector.Config{Window: 5 * time.Minute}, collector.Target{Name: "HV01", Source: src})
	cs = hyperv.Counters{HostCPUPercent: 100, AvailableMemory: 32 * gib, VMs: map[string]hyperv.VMCounters{
		"a": starved(8, 1, 0.75), "b": starved(4, 0.5, 0.5),
	}}
	src.SetCounters(cs)
	f.poll(time.Minute)
	return f, src, cs, f.poll(time.Minute)
}

func TestSaturatedHostRecordsDemand(t *testing.T) {
	f, src, cs, s := saturatedHost(t)
	h := host(t, s, "HV01")
	if h.CPU.Mean != 100 || h.CPUWaitUnknown {
		t.Errorf("host CPU %+v, wait unknown %v; want 100 received, wait known", h.CPU, h.CPUWaitUnknown)
	}
	// b wanted no more than it got; a wanted 2 LPs more: 25 points.
	if got := h.CPU.Demand.Mean; math.Abs(got-125) > 1e-6 {
		t.Errorf("host demand %v%%, want 125", got)
	}
	if got := h.CPU.CPUDemand(); math.Abs(got-125) > 1e-6 {
		t.Errorf("host CPUDemand %v, want 125", got)
	}
	cpu := vmCPU(s)
	if a := cpu[idA]; a.Mean != 6 || math.Abs(a.Demand.Mean-8) > 1e-6 || math.Abs(a.CPUDemand()-8) > 1e-6 {
		t.Errorf("a: %+v, want 6 received and a demand of 8", a)
	}
	if b := cpu[idB]; b.Mean != 2 || b.Demand != (collector.Demand{}) {
		t.Errorf("b: %+v, want 2 received and no demand recorded", b)
	}

	// The host stops reporting the wait: the VMs fall back to what they
	// receive, and the snapshot says so. The window still holds the
	// earlier demand.
	delete(cs.VMs, "b")
	cs.VMs["a"] = hyperv.VMCounters{CPUPercent: []float64{75}, MeanCPUPercent: 75}
	cs.VMs["b"] = hyperv.VMCounters{CPUPercent: []float64{50}, MeanCPUPercent: 50}
	src.SetCounters(cs)
	s = f.poll(time.Minute)
	h = host(t, s, "HV01")
	if !h.CPUWaitUnknown {
		t.Errorf("host without the wait counter not marked")
	}
	if got, want := h.CPU.Demand.Last, 100.0; got != want {
		t.Errorf("host demand's last sample %v, want %v (received)", got, want)
	}
	// Once the window holds only such samples, no demand is recorded.
	s = f.poll(6 * time.Minute)
	if h = host(t, s, "HV01"); h.CPU.Demand != (collector.Demand{}) || vmCPU(s)[idA].Demand != (collector.Demand{}) {
		t.Errorf("demand %+v / %+v kept without a wait counter in the window", h.CPU.Demand, vmCPU(s)[idA].Demand)
	}
}

// TestDemandAfterAMove checks the load model after moves on a saturated
// source: the samples from before a VM left are shifted by what it
// wanted, so the source reads what its remaining VMs want, and its
// received CPU what they then get.
func TestDemandAfterAMove(t *testing.T) {
	a, b := running(idA, "a", 8, 50), running(idB, "b", 4, 50)
	src1 := collectortest.NewSource(hostInfo("HV01", 8, 64), a, b)
	src2 := collectortest.NewSource(hostInfo("HV02", 8, 64))
	f := newFixture(t, collector.Config{Window: 5 * time.Minute},
		collector.Target{Name: "HV01", Source: src1}, collector.Target{Name: "HV02", Source: src2})
	src1.SetCounters(hyperv.Counters{HostCPUPercent: 100, AvailableMemory: 32 * gib, VMs: map[string]hyperv.VMCounters{
		"a": starved(8, 1, 0.75), "b": starved(4, 0.5, 0.5)}})
	src2.SetCounters(counters(0, 60, nil))
	f.poll(time.Minute)
	f.poll(time.Minute)

	// a moves to HV02, where it gets all it wants.
	src1.SetVMs(b)
	src2.SetVMs(a)
	src1.SetCounters(counters(25, 32, map[string]float64{"b": 50}))
	src2.SetCounters(counters(100, 28, map[string]float64{"a": 100}))
	s := f.poll(time.Minute)
	h1, h2 := host(t, s, "HV01"), host(t, s, "HV02")
	if h1.LoadModel != collector.LoadProjected {
		t.Fatalf("HV01's load model %q, want projected", h1.LoadModel)
	}
	// Before the move HV01 wanted 125 % and received 100; a wanted 8 LPs
	// (100 points) of it. Every sample now reads 25 %, wanted and received.
	if h1.CPU.Mean != 25 || h1.CPU.Demand != (collector.Demand{}) || h1.CPU.CPUDemand() != 25 {
		t.Errorf("HV01 after a left: %+v, want 25 %% and no demand beyond it", h1.CPU)
	}
	// HV02's samples from before a came are shifted up by what a wants.
	if h2.CPU.Mean != 100 || h2.CPU.CPUDemand() != 100 {
		t.Errorf("HV02 after a came: %+v, want 100 %%", h2.CPU)
	}
}

// TestWaitUnknownIsSaidOnce checks a host without the wait counter is
// logged when that begins and when it ends, not every poll.
func TestWaitUnknownIsSaidOnce(t *testing.T) {
	src := collectortest.NewSource(hostInfo("HV01", 8, 64), running(idA, "a", 2, 10))
	var logs bytes.Buffer
	clock := collectortest.NewClock(t0)
	c, err := collector.New([]collector.Target{{Name: "HV01", Source: src}}, collector.Config{Now: clock.Now},
		slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	poll := func(cs hyperv.Counters) {
		t.Helper()
		src.SetCounters(cs)
		clock.Advance(time.Minute)
		if _, err := c.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	without := counters(10, 32, nil)
	without.VMs["a"] = hyperv.VMCounters{CPUPercent: []float64{40, 40}, MeanCPUPercent: 40}
	poll(without)
	poll(without)
	poll(counters(10, 32, map[string]float64{"a": 40}))
	said := strings.Count(logs.String(), "does not report CPU wait per dispatch")
	again := strings.Count(logs.String(), "reports CPU wait per dispatch again")
	if said != 1 || again != 1 {
		t.Errorf("said %d times that the wait is unknown and %d that it is back, want once each:\n%s", said, again, logs.String())
	}
}
