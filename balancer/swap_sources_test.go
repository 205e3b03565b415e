package balancer_test

import (
	"fmt"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
)

// The swap phase tries the busiest host by CPU even when four hosts of
// higher heat come before it among the step's sources. HV01 and HV02 are
// TestSwapWhereNoSingleMoveGains' pair: HV01 busy in CPU, its only
// movable VM large in memory, so that only a swap with HV02's idle VM
// gains. Four hosts of middling CPU, near memory_high and with nothing to
// move, weigh more in heat (CPU and memory together) than HV01, light in
// memory: the swap phase took the first four sources, these four, and
// planned nothing, leaving HV01 the fleet's peak.
func TestSwapTriesTheBusiestHostAfterFourOfHigherHeat(t *testing.T) {
	hosts := []collectortest.HostSpec{
		{Name: "HV01", CPU: 74, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "big", CPUs: 8, CPU: 4.8, MemoryGiB: 64},
			{Name: "pinned-a", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
		{Name: "HV02", CPU: 40, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "idle", CPUs: 2, CPU: 0.16, MemoryGiB: 64},
			{Name: "pinned-b", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
	}
	for i := range 4 {
		hosts = append(hosts, collectortest.HostSpec{Name: fmt.Sprintf("HV1%d", i), CPU: 70, Memory: 60})
	}
	s := collectortest.Snapshot(hosts...)
	frozen := map[string]bool{}
	for _, v := range s.VMs {
		if v.Name == "pinned-a" || v.Name == "pinned-b" {
			frozen[v.ID] = true
		}
	}
	p := planChecked(t, s, balancer.DefaultConfig(), &fakeRules{frozen: frozen})
	var got []string
	for _, m := range p.Moves {
		got = append(got, m.VMName+" "+m.From+"→"+m.To)
	}
	want := []string{"big HV01→HV02", "idle HV02→HV01"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("moves %q, want the swap %q: %s", got, want, p.Message)
	}
}

// A swap's gain counts the objective's CPU load above the line as any
// move's does: it counted none after the swap, so where a host was hot
// the swap phase saw that host's whole excess as the swap's gain. Here
// HV09 is hot with nothing to move, and the swap of "big" and "idle"
// evens CPU a little but copies 128 GiB for it, which the objective does
// not buy: no move is worthwhile. The swap was planned, credited with
// HV09's 15 points above cpu_high.
func TestSwapGainCountsTheLoadAboveTheLine(t *testing.T) {
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", CPU: 70, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "big", CPUs: 8, CPU: 3.2, MemoryGiB: 64},
			{Name: "pinned-a", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
		collectortest.HostSpec{Name: "HV02", CPU: 40, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "idle", CPUs: 2, CPU: 0.16, MemoryGiB: 64},
			{Name: "pinned-b", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
		collectortest.HostSpec{Name: "HV09", CPU: 90, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "pinned-c", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
	)
	frozen := map[string]bool{}
	for _, v := range s.VMs {
		if v.Name != "big" && v.Name != "idle" {
			frozen[v.ID] = true
		}
	}
	p := planChecked(t, s, balancer.DefaultConfig(), &fakeRules{frozen: frozen})
	if len(p.Moves) != 0 || p.Search.Swaps != 0 {
		t.Fatalf("planned %d moves (%d swaps), want none: %s", len(p.Moves), p.Search.Swaps, p.Message)
	}
}
