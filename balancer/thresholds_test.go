package balancer_test

import (
	"context"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
)

// TestNoPolicyMakesADestinationHot is the regression test of a plan that,
// under an administrator's own policy without a memory rule, pushed a
// memory-tight destination from 90.6 % to 96.9 %: cpu_high and memory_high
// are the planner's own limits, so even a policy that allows everything
// gets no move that leaves a destination above them.
func TestNoPolicyMakesADestinationHot(t *testing.T) {
	gibVM := func(name string, cpu, mem float64) collectortest.VMSpec {
		return collectortest.VMSpec{Name: name, CPUs: 8, CPU: cpu, MemoryGiB: mem}
	}
	s := collectortest.Snapshot(
		// Hot on CPU: its VMs want to go.
		collectortest.HostSpec{Name: "HV01", LPs: 32, MemoryGiB: 512, VMs: []collectortest.VMSpec{
			gibVM("big-1", 8, 32), gibVM("big-2", 8, 32), gibVM("big-3", 8, 32), gibVM("small-1", 2, 16),
		}},
		// Idle CPU, memory-tight: 232 of 256 GiB in use (90.6 %), room for
		// 16 GiB more under a 4 GiB reserve.
		collectortest.HostSpec{Name: "HV02", LPs: 32, MemoryGiB: 256, Memory: 90.625, VMs: []collectortest.VMSpec{gibVM("db", 1, 232)}},
	)
	cfg := balancer.DefaultConfig()
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:allow-all", nil)
	if err != nil {
		t.Fatal(err)
	}
	// HV02 is the only destination and an allow-all policy asks nothing
	// of memory: without the planner's own limit, small-1 (16 GiB) would
	// go there and leave it at 96.9 %.
	into := map[string]bool{}
	for _, m := range p.Moves {
		into[m.To] = true
		if m.To == "HV02" {
			t.Errorf("%s planned into the memory-tight HV02 (%.1f%% and up, memory_high %g)", m.VMName, 90.625, cfg.MemoryHigh)
		}
	}
	for _, h := range p.Hosts {
		if into[h.Name] && (h.CPUAfter > cfg.CPUHigh || h.MemoryAfter > cfg.MemoryHigh) {
			t.Errorf("destination %s ends at CPU %.1f%%, memory %.1f%%", h.Name, h.CPUAfter, h.MemoryAfter)
		}
	}
}
