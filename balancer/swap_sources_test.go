package balancer_test

import (
	"fmt"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
)

// swapPair is the pair of hosts of the swap tests: HV01 at hostCPU %
// with "big" (8 vCPUs, bigCPU LPs busy, 64 GiB) and a pinned VM, and
// HV02, cool, with "idle" of the same memory and a pinned VM.
func swapPair(hostCPU, bigCPU float64) []collectortest.HostSpec {
	return []collectortest.HostSpec{
		{Name: "HV01", CPU: hostCPU, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "big", CPUs: 8, CPU: bigCPU, MemoryGiB: 64},
			{Name: "pinned-a", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
		{Name: "HV02", CPU: 40, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "idle", CPUs: 2, CPU: 0.16, MemoryGiB: 64},
			{Name: "pinned-b", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
	}
}

// onlySwapPairMoves freezes every VM of s but swapPair's "big" and
// "idle".
func onlySwapPairMoves(s *collector.Snapshot) *fakeRules {
	frozen := map[string]bool{}
	for _, v := range s.VMs {
		if v.Name != "big" && v.Name != "idle" {
			frozen[v.ID] = true
		}
	}
	return &fakeRules{frozen: frozen}
}

// wantSwapPairSwapped fails t unless p is the swap of swapPair's two
// movable VMs, the hot host's first.
func wantSwapPairSwapped(t *testing.T, p *balancer.Plan) {
	t.Helper()
	var got []string
	for _, m := range p.Moves {
		got = append(got, m.VMName+" "+m.From+"→"+m.To)
	}
	want := []string{"big HV01→HV02", "idle HV02→HV01"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("moves %q, want the swap %q: %s", got, want, p.Message)
	}
}

// The swap phase tries the busiest host by CPU even when four hosts of
// higher heat come before it among the step's sources. HV01 and HV02 are
// TestSwapWhereNoSingleMoveGains' pair: HV01 busy in CPU, its only
// movable VM large in memory, so that only a swap with HV02's idle VM
// gains. Four hosts of middling CPU, near memory_high and with nothing to
// move, weigh more in heat (CPU and memory together) than HV01, light in
// memory: the swap phase took the first four sources, these four, and
// planned nothing, leaving HV01 the fleet's peak.
func TestSwapTriesTheBusiestHostAfterFourOfHigherHeat(t *testing.T) {
	hosts := swapPair(74, 4.8)
	for i := range 4 {
		hosts = append(hosts, collectortest.HostSpec{Name: fmt.Sprintf("HV1%d", i), CPU: 70, Memory: 60})
	}
	s := collectortest.Snapshot(hosts...)
	p := planChecked(t, s, balancer.DefaultConfig(), onlySwapPairMoves(s))
	wantSwapPairSwapped(t, p)
}

// A swap's gain counts the objective's CPU load above the line as any
// move's does: it counted none after the swap, so where a host was hot
// the swap phase saw that host's whole excess as the swap's gain. Here
// HV09 is hot with nothing to move, and the swap of "big" and "idle"
// evens CPU a little but copies 128 GiB for it, which the objective does
// not buy: no move is worthwhile. The swap was planned, credited with
// HV09's 15 points above cpu_high.
func TestSwapGainCountsTheLoadAboveTheLine(t *testing.T) {
	s := collectortest.Snapshot(append(swapPair(70, 3.2),
		collectortest.HostSpec{Name: "HV09", CPU: 90, Memory: 50, VMs: []collectortest.VMSpec{
			{Name: "pinned-c", CPUs: 2, CPU: 1, MemoryGiB: 8},
		}},
	)...)
	p := planChecked(t, s, balancer.DefaultConfig(), onlySwapPairMoves(s))
	if len(p.Moves) != 0 || p.Search.Swaps != 0 {
		t.Fatalf("planned %d moves (%d swaps), want none: %s", len(p.Moves), p.Search.Swaps, p.Message)
	}
}
