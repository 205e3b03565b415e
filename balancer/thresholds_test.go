package balancer_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/policy"
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

// TestHeadroomKeepsBalancingMovesBelowTheThresholds: a balancing move may
// fill a destination only to cpu_high less the headroom, so that one noisy
// sample after it does not make the destination hot and the next plan move
// the load back; a policy request may still fill it up to cpu_high, not
// beyond.
func TestHeadroomKeepsBalancingMovesBelowTheThresholds(t *testing.T) {
	// Every VM is 2.88 of 32 cores: 9 points of either host's CPU.
	vms := func(prefix string, n int) []collectortest.VMSpec {
		out := make([]collectortest.VMSpec, n)
		for i := range out {
			out[i] = collectortest.VMSpec{Name: fmt.Sprintf("%s-%d", prefix, i), CPUs: 4, CPU: 2.88, MemoryGiB: 8}
		}
		return out
	}
	// HV01 at 90 % CPU is hot; HV02 at 65 % is the only destination, and
	// one VM takes it to 74 %: under cpu_high (75), over it less 5 points.
	// HV04 (40 % CPU, memory too full to take a VM) keeps the fleet's mean
	// CPU under the fill line: the fleet is not dense (see
	// TestDenseFleetReachesTheCeiling).
	full := collectortest.HostSpec{Name: "HV04", LPs: 32, MemoryGiB: 256, CPU: 40, Memory: 84}
	snap := func() *collector.Snapshot {
		return collectortest.Snapshot(
			collectortest.HostSpec{Name: "HV01", LPs: 32, MemoryGiB: 256, CPU: 90, VMs: vms("hot", 10)},
			collectortest.HostSpec{Name: "HV02", LPs: 32, MemoryGiB: 256, CPU: 65, VMs: vms("cool", 7)},
			full,
		)
	}
	tests := []struct {
		name     string
		headroom float64
		requests []policy.Request
		// wantTo is the CPU HV02 is planned to, 0 when nothing may go there.
		wantTo float64
		// wantWhy is in the plan's rejection or limit text.
		wantWhy string
	}{
		{name: "no headroom: balancing fills to cpu_high", headroom: 0, wantTo: 74},
		{name: "headroom 5: no balancing move above 70", headroom: 5, wantTo: 0},
		{name: "headroom 5: a request may fill to cpu_high", headroom: 5, wantTo: 74,
			requests: []policy.Request{{VM: "00000000-0000-4000-8000-000000000001", To: "HV02", Reason: "evacuate", Priority: 10}}},
		{name: "headroom 5: no request beyond cpu_high", headroom: 5, wantTo: 0, wantWhy: "over cpu_high (75%)",
			requests: []policy.Request{{VM: "00000000-0000-4000-8000-000000000001", To: "HV03", Reason: "evacuate", Priority: 10}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := balancer.DefaultConfig()
			cfg.Headroom = tc.headroom
			pl, err := balancer.NewPlanner(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := snap()
			if tc.wantWhy != "" {
				// A third host at 70 %: a 9-point VM would take it to 79 %.
				s = collectortest.Snapshot(
					collectortest.HostSpec{Name: "HV01", LPs: 32, MemoryGiB: 256, CPU: 90, VMs: vms("hot", 10)},
					collectortest.HostSpec{Name: "HV02", LPs: 32, MemoryGiB: 256, CPU: 65, VMs: vms("cool", 7)},
					collectortest.HostSpec{Name: "HV03", LPs: 32, MemoryGiB: 256, CPU: 70, VMs: vms("warm", 7)},
					full,
				)
			}
			p, err := pl.Plan(context.Background(), s, &fakeRules{requests: tc.requests}, "sha256:headroom", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Settings.Headroom; got != tc.headroom {
				t.Errorf("plan settings: headroom %g, want %g", got, tc.headroom)
			}
			var into []string
			for _, m := range p.Moves {
				into = append(into, m.To)
			}
			hv02 := hostLoad(p, "HV02")
			switch {
			case tc.wantTo == 0 && hv02.In > 0:
				t.Errorf("HV02 planned from %.1f%% to %.1f%% CPU, want no move into it (moves to %v)", hv02.CPUBefore, hv02.CPUAfter, into)
			case tc.wantTo != 0 && math.Abs(hv02.CPUAfter-tc.wantTo) > 0.01:
				t.Errorf("HV02 planned from %.1f%% to %.1f%% CPU, want %g%% (moves to %v)", hv02.CPUBefore, hv02.CPUAfter, tc.wantTo, into)
			}
			for _, h := range p.Hosts {
				limit := cfg.CPUHigh - cfg.Headroom
				if len(tc.requests) > 0 {
					limit = cfg.CPUHigh
				}
				if h.In > 0 && h.CPUAfter > limit {
					t.Errorf("destination %s planned to %.1f%% CPU, over %g%%", h.Name, h.CPUAfter, limit)
				}
			}
			if tc.wantWhy != "" {
				var found bool
				for _, r := range p.Rejected {
					found = found || strings.Contains(strings.Join(r.Messages, "; "), tc.wantWhy)
				}
				if !found {
					t.Errorf("no rejection says %q: %+v", tc.wantWhy, p.Rejected)
				}
			}
		})
	}
}
