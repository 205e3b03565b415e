package balancer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/policy"
)

// sameVMs returns n VMs named prefix-0.. of the given CPU demand (logical
// processors) and memory.
func sameVMs(prefix string, n int, cores, memGiB float64) []collectortest.VMSpec {
	out := make([]collectortest.VMSpec, n)
	for i := range out {
		out[i] = collectortest.VMSpec{Name: fmt.Sprintf("%s-%d", prefix, i), CPUs: 4, CPU: cores, MemoryGiB: memGiB}
	}
	return out
}

// planChecked plans s with cfg and rules (allow-all when nil) and checks the
// plan's invariants.
func planChecked(t *testing.T, s *collector.Snapshot, cfg balancer.Config, rules *fakeRules) *balancer.Plan {
	t.Helper()
	if rules == nil {
		rules = &fakeRules{}
	}
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, rules, "sha256:search", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s, cfg, rules, nil, p)
	return p
}

// A dense fleet, its mean CPU (82.7 %) above the fill line (cpu_high 75
// less the 5-point headroom), has no destination under the fill line: the
// search used to move nothing. A move off the busiest host that leaves its
// destination below the source's new load and at or below the ceiling is
// allowed there, so the busiest host comes down to the ceiling, as node
// fairness and ProxLB bring it.
func TestDenseFleetReachesTheCeiling(t *testing.T) {
	// Every VM is 1.6 of 32 cores: 5 points.
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", CPU: 94, VMs: sameVMs("hot", 12, 1.6, 8)},
		collectortest.HostSpec{Name: "HV02", CPU: 76, VMs: sameVMs("b", 8, 1.6, 8)},
		collectortest.HostSpec{Name: "HV03", CPU: 78, VMs: sameVMs("c", 8, 1.6, 8)},
	)
	cfg := balancer.DefaultConfig()
	p := planChecked(t, s, cfg, nil)
	if len(p.Moves) < 2 {
		t.Fatalf("%d moves, want at least 2: %s", len(p.Moves), p.Message)
	}
	busiest := 0.0
	for _, h := range p.Hosts {
		busiest = max(busiest, h.CPUAfter)
		if h.In > 0 && h.CPUAfter > cfg.CPUCeiling {
			t.Errorf("%s filled to %.1f%%, over the %g%% ceiling", h.Name, h.CPUAfter, cfg.CPUCeiling)
		}
	}
	if busiest > cfg.CPUCeiling {
		t.Errorf("the busiest host ends at %.1f%% CPU, want at most the %g%% ceiling (%s)", busiest, cfg.CPUCeiling, p.Message)
	}
	if hv01 := hostLoad(p, "HV01"); hv01.Out < 2 {
		t.Errorf("HV01 gives %d VMs, want at least 2", hv01.Out)
	}
}

// A fleet whose mean is under the fill line keeps it: the dense rule does
// not fill a destination past cpu_high less the headroom there (see
// TestHeadroomKeepsBalancingMovesBelowTheThresholds for the two-host case).
func TestFillLineHoldsWhenTheFleetIsNotDense(t *testing.T) {
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", CPU: 94, VMs: sameVMs("hot", 12, 1.6, 8)},
		collectortest.HostSpec{Name: "HV02", CPU: 68, VMs: sameVMs("b", 8, 1.6, 8)},
		collectortest.HostSpec{Name: "HV03", CPU: 30, Memory: 84, VMs: sameVMs("c", 2, 1.6, 8)},
	)
	cfg := balancer.DefaultConfig()
	p := planChecked(t, s, cfg, nil)
	for _, h := range p.Hosts {
		if h.In > 0 && h.CPUAfter > cfg.CPUHigh-cfg.Headroom {
			t.Errorf("%s filled to %.1f%%, over the fill line %g%%", h.Name, h.CPUAfter, cfg.CPUHigh-cfg.Headroom)
		}
	}
}

// The per-plan inflow cap is a safety setting: by default a plan sends a
// host every move it is the best place for, here six VMs into the only
// cool host with room (the old default, 2, stopped at two).
func TestMoreThanTwoMovesIntoTheBestHost(t *testing.T) {
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", VMs: sameVMs("hot", 16, 1.6, 8)}, // 80 %
		collectortest.HostSpec{Name: "HV02", VMs: sameVMs("cool", 2, 1.6, 8)}, // 10 %
		collectortest.HostSpec{Name: "HV03", CPU: 30, Memory: 84},
	)
	cfg := balancer.DefaultConfig()
	p := planChecked(t, s, cfg, nil)
	if in := hostLoad(p, "HV02").In; in <= 2 {
		t.Fatalf("HV02 receives %d moves, want more than 2: %s", in, p.Message)
	}
	if cfg.MaxInflowPerHost != balancer.DefaultMaxInflowPerHost || cfg.MaxInflowPerHost < 16 {
		t.Errorf("default max_inflow_per_host %d, want the high default %d", cfg.MaxInflowPerHost, balancer.DefaultMaxInflowPerHost)
	}
	// An evacuation onto one host is not held back by the cap either.
	s = collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", Maintenance: true, VMs: sameVMs("drain", 9, 0.5, 4)},
		collectortest.HostSpec{Name: "HV02", VMs: sameVMs("cool", 2, 1.6, 8)},
		collectortest.HostSpec{Name: "HV03", CPU: 30, Memory: 84},
	)
	p = planChecked(t, s, cfg, nil)
	if in := hostLoad(p, "HV02").In; in != 9 {
		t.Errorf("HV02 receives %d of the 9 evacuated VMs: %s", in, p.Message)
	}
}

// Every hot host is a source, not only the four hottest: here the four
// hottest hold only frozen VMs, and the fifth and sixth hottest must still
// give load to the cool hosts.
func TestEveryHotHostIsASource(t *testing.T) {
	var specs []collectortest.HostSpec
	for i := range 6 {
		specs = append(specs, collectortest.HostSpec{
			Name: fmt.Sprintf("HV%02d", i+1),
			VMs:  sameVMs(fmt.Sprintf("h%d", i), 17-i, 1.6, 8), // 85 % down to 60 %... all over 75 % but the last two
		})
	}
	// Hosts 1–4: 17..14 VMs of 5 points (85..70 %); make the first four
	// hot and the fifth and sixth hot as well by load, not by VM count.
	for i := range specs {
		specs[i].CPU = 95 - float64(i)*3 // 95, 92, 89, 86, 83, 80: all hot
	}
	for i := range 4 {
		specs = append(specs, collectortest.HostSpec{Name: fmt.Sprintf("HV%02d", i+7), VMs: sameVMs(fmt.Sprintf("c%d", i), 2, 1.6, 8)})
	}
	s := collectortest.Snapshot(specs...)
	frozen := map[string]bool{}
	for _, v := range s.VMs {
		switch v.Host {
		case "HV01", "HV02", "HV03", "HV04":
			frozen[v.ID] = true
		}
	}
	cfg := balancer.DefaultConfig()
	cfg.MaxMoves = 20
	p := planChecked(t, s, cfg, &fakeRules{frozen: frozen})
	for _, name := range []string{"HV05", "HV06"} {
		if out := hostLoad(p, name).Out; out == 0 {
			t.Errorf("%s (hot) gives no VM: %s", name, p.Message)
		}
	}
}

// Where no single move gains, a swap may: HV01 is the busy host in CPU
// (just under cpu_high: moving load off a hot host gains on its own), and
// its only movable VM is large in memory too, so moving it alone to HV02 trades a
// CPU spread for a memory spread (the objective gets worse); sending back
// HV02's idle VM of the same memory evens memory again. The swap is two
// moves, the hot host's VM first, each within every hard limit in order.
func TestSwapWhereNoSingleMoveGains(t *testing.T) {
	s := collectortest.Snapshot(swapPair(74, 4.8)...)
	cfg := balancer.DefaultConfig()
	rules := onlySwapPairMoves(s)
	p := planChecked(t, s, cfg, rules)
	wantSwapPairSwapped(t, p)
	if p.Search.Swaps != 1 {
		t.Errorf("search counts %d swaps, want 1", p.Search.Swaps)
	}
	for _, m := range p.Moves {
		if !strings.Contains(m.Reason, "swap with") {
			t.Errorf("move %s: reason %q does not name the swap", m.VMName, m.Reason)
		}
	}
	// The same fleet with the swap's return move denied: no swap, and no
	// single move either.
	deny := &fakeRules{frozen: rules.frozen, deny: func(m policy.Move, _ policy.Projected) []string {
		if m.To == "HV01" {
			return []string{"no way back"}
		}
		return nil
	}}
	if p := planChecked(t, s, cfg, deny); len(p.Moves) != 0 {
		t.Errorf("with the return denied: %d moves, want none", len(p.Moves))
	}
}

// A verdict holds until a planned move changes one of its two hosts: the
// search does not ask the policy again about a candidate an earlier step
// judged and left, with both hosts as they were. Here HV04 is denied to
// every VM while HV01 and HV02 give VMs to HV03 step after step.
func TestVerdictsAreKeptUntilAHostChanges(t *testing.T) {
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", VMs: sameVMs("a", 16, 1.6, 8)}, // 80 %
		collectortest.HostSpec{Name: "HV02", VMs: sameVMs("b", 16, 1.6, 8)}, // 80 %
		collectortest.HostSpec{Name: "HV03", VMs: sameVMs("c", 2, 1.6, 8)},
		collectortest.HostSpec{Name: "HV04", VMs: sameVMs("d", 2, 1.6, 8)},
	)
	asked := map[string]int{}
	rules := &fakeRules{deny: func(m policy.Move, p policy.Projected) []string {
		asked[fmt.Sprintf("%s %s→%s %+v", m.VM, m.From, m.To, p)]++
		if m.To == "HV04" {
			return []string{"no room in HV04's rack"}
		}
		return nil
	}}
	p := planChecked(t, s, balancer.DefaultConfig(), rules)
	if len(p.Moves) < 2 {
		t.Fatalf("%d moves, want several: %s", len(p.Moves), p.Message)
	}
	for k, n := range asked {
		if n > 1 {
			t.Errorf("asked %d times about the same candidate and hosts: %s", n, k)
		}
	}
	if p.Search.Judged != len(rules.judged) || p.Search.Judged > len(asked) {
		t.Errorf("search counts %d Judge calls, the policy saw %d (%d distinct)", p.Search.Judged, len(rules.judged), len(asked))
	}
}

// A plateau: five hosts at 50 % CPU, fifteen at 40 %, none hot. Moving a
// 2.5-point VM off one of the five lowers the spread by about one point and
// the peak not at all (four hosts stay at 50 %), so under aggressiveness 2
// (a move must gain 2 points) the search stopped with the plateau in place.
// A move that takes the busiest host clearly down and leaves neither of its
// hosts as busy is worthwhile with its peak relief: the plateau comes down,
// busiest host first. With a host at 60 % whose VMs cannot migrate, the
// fleet's busiest host cannot come down at all, and the same moves are
// judged on their spread gain alone: none is made.
func TestPlateauComesDownUnderAggressiveness2(t *testing.T) {
	fleet := func(stuck bool) *collector.Snapshot {
		var hosts []collectortest.HostSpec
		for i := range 20 {
			n := 16 // 40 %
			if i < 5 {
				n = 20 // 50 %
			}
			hosts = append(hosts, collectortest.HostSpec{Name: fmt.Sprintf("HV%02d", i+1), VMs: sameVMs(fmt.Sprintf("v%02d", i+1), n, 0.8, 2)})
		}
		if stuck {
			hosts = append(hosts, collectortest.HostSpec{Name: "HV99", MigrationDisabled: true, VMs: sameVMs("pinned", 24, 0.8, 2)})
		}
		return collectortest.Snapshot(hosts...)
	}
	cfg := balancer.DefaultConfig()
	cfg.Aggressiveness = 2
	p := planChecked(t, fleet(false), cfg, nil)
	busiest := 0.0
	for _, h := range p.Hosts {
		busiest = max(busiest, h.CPUAfter)
	}
	if len(p.Moves) < 5 || busiest > 47.5+1e-6 {
		t.Errorf("%d moves leave the busiest host at %.2f%%, want at least 5 and at most 47.5%%: %s", len(p.Moves), busiest, p.Message)
	}
	// The first moves gain less than the minimum on their own (the last
	// of each round of the plateau lowers the peak, and gains it).
	if len(p.Moves) > 0 && p.Moves[0].Gain >= balancer.MinGain(cfg.Aggressiveness) {
		t.Errorf("the first move gains %.3f: the plateau was meant to need the peak relief", p.Moves[0].Gain)
	}
	if p := planChecked(t, fleet(true), cfg, nil); len(p.Moves) != 0 {
		t.Errorf("with the busiest host stuck: %d moves, want none: %s", len(p.Moves), p.Message)
	}
}
