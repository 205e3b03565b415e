package collector_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
	"github.com/hvbalancer/hvbalancer/policy"
)

// allowAll lets the planner move anything: the test is about loads, not
// the policy.
type allowAll struct{}

func (allowAll) Settings() policy.Settings  { return policy.Settings{} }
func (allowAll) Requests() []policy.Request { return nil }
func (allowAll) Frozen(string) bool         { return false }
func (allowAll) Judge(context.Context, policy.Move, policy.Projected) (policy.Verdict, error) {
	return policy.Verdict{}, nil
}

// saturatedFleet is one host whose 13 VMs want 130 % of its 16 logical
// processors (12 × 2 vCPUs at 80 % and the hypervisor's 3 %... summed in
// the test), and four quiet hosts.
func saturatedFleetSpec(t *testing.T) *sim.FleetSpec {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: saturated\nseed: 13\nhosts:\n  - {name: HOT, logical_processors: 16, memory_gib: 256}\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, "  - {name: COOL%d, logical_processors: 16, memory_gib: 256}\n", i)
	}
	b.WriteString("vms:\n")
	// 13 × 2 vCPUs × 0.8 = 20.8 LPs wanted, +0.48 of overhead: 133 %.
	for i := range 13 {
		fmt.Fprintf(&b, "  - {id: %08x-0000-4000-8000-000000000000, name: busy%02d, host: HOT, cpus: 2, memory_gib: 4, load: {cpu: 0.8}}\n", 0xa0+i, i)
	}
	// 4 × 2 vCPUs × 0.8 = 6.4 LPs on each of the others: 43 %.
	for i := range 24 {
		fmt.Fprintf(&b, "  - {id: %08x-0000-4000-8000-000000000000, name: other%02d, host: COOL%d, cpus: 2, memory_gib: 4, load: {cpu: 0.8}}\n", 0xc0+i, i, i%6+1)
	}
	spec, err := sim.ParseFleet([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// pollSaturatedFleet serves saturatedFleetSpec's fleet over real WinRM
// and returns the second of two polls, the snapshot the demand tests
// read.
func pollSaturatedFleet(t *testing.T) (*sim.Fleet, *collector.Snapshot) {
	t.Helper()
	fleet, _, targets := serveSpec(t, saturatedFleetSpec(t), 1, 20*time.Second)
	col, err := collector.New(targets, collector.Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var s *collector.Snapshot
	for range 2 {
		if s, err = col.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return fleet, s
}

// TestE2EPlanWithDemandOfASaturatedHost reads a host whose VMs want 133 %
// of it over real WinRM: it reads 100 % received and its demand is
// estimated from the hypervisor's wait counters; the planner then moves
// enough VMs off it to bring its demand under cpu_high, where planning
// on the CPU received moves fewer and leaves it over.
func TestE2EPlanWithDemandOfASaturatedHost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	fleet, s := pollSaturatedFleet(t)
	ctx := context.Background()

	// Ground truth, from the simulator: what the hot host's VMs want.
	hot, _ := fleet.Host("HOT")
	var wanted float64
	truth := map[string]float64{}
	for _, v := range fleet.VMs("HOT") {
		wanted += v.CPUDemand
		truth[v.ID] = v.CPUDemand
	}
	trueDemand := (wanted + 0.03*16) / 16 * 100
	h, _ := s.Host("HOT")
	t.Logf("HOT: received %.1f %%, estimated demand %.1f %%, true demand %.1f %% (simulator: %.1f %% received)", h.CPU.Mean, h.CPU.Demand.Mean, trueDemand, hot.CPUPercent)
	if h.CPU.Mean < 99.5 || h.CPUWaitUnknown {
		t.Errorf("HOT reads %.2f %% received (wait unknown: %v), want 100", h.CPU.Mean, h.CPUWaitUnknown)
	}
	// The estimator counts an idle dispatch's wait as 10 µs, the simulator
	// 8 µs: it underestimates a little, by design.
	if d := h.CPU.Demand.Mean; d < trueDemand-3 || d > trueDemand+1 {
		t.Errorf("HOT demand estimated %.1f %%, true %.1f %% (tolerance -3/+1 points)", d, trueDemand)
	}
	var worst float64
	for _, v := range s.VMs {
		want, ok := truth[v.ID]
		if !ok {
			if v.CPU.Demand != (collector.Demand{}) {
				t.Errorf("%s on a quiet host has a demand recorded: %+v", v.Name, v.CPU.Demand)
			}
			continue
		}
		worst = math.Max(worst, math.Abs(v.CPU.Demand.Mean-want)/want)
	}
	t.Logf("VMs on HOT: worst estimate off by %.1f %% of the true demand", worst*100)
	if worst > 0.03 {
		t.Errorf("a VM's demand estimate is off by %.1f %%, want within 3 %%", worst*100)
	}

	// A target spread wide enough that only the hot host calls for moves:
	// the two plans below differ in how hot they see it, not in how far
	// they even out the others.
	cfg := balancer.DefaultConfig()
	cfg.TargetSpread = 100
	planner, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// What a plan leaves on HOT, in demand: its estimated demand less what
	// its moved VMs want (each VM's estimate, as the collector measures).
	left := func(p *balancer.Plan) float64 {
		d := h.CPU.CPUDemand()
		for _, m := range p.Moves {
			if m.From == "HOT" {
				v, _ := s.VM(m.VM)
				d -= v.CPU.CPUDemand() / 16 * 100
			}
		}
		return d
	}
	withDemand, err := planner.Plan(ctx, s, allowAll{}, "sha256:allow-all", nil)
	if err != nil {
		t.Fatal(err)
	}
	received := receivedOnly(s)
	withReceived, err := planner.Plan(ctx, received, allowAll{}, "sha256:allow-all", nil)
	if err != nil {
		t.Fatal(err)
	}
	var hl balancer.HostLoad
	for _, x := range withDemand.Hosts {
		if x.Name == "HOT" {
			hl = x
		}
	}
	t.Logf("planning on demand: %d moves, HOT %.1f %% → %.1f %% (left in demand %.1f %%)", len(withDemand.Moves), hl.CPUBefore, hl.CPUAfter, left(withDemand))
	t.Logf("planning on received CPU: %d moves, HOT's demand left %.1f %%", len(withReceived.Moves), left(withReceived))
	if hl.CPUBefore < trueDemand-3 {
		t.Errorf("the plan shows HOT at %.1f %% before, want its demand", hl.CPUBefore)
	}
	if got := left(withDemand); got >= cfg.CPUHigh {
		t.Errorf("planning on demand leaves HOT wanting %.1f %%, want under cpu_high %.0f", got, cfg.CPUHigh)
	}
	if len(withReceived.Moves) >= len(withDemand.Moves) || left(withReceived) < cfg.CPUHigh {
		t.Errorf("planning on received CPU: %d moves leaving %.1f %%; want fewer than %d, leaving HOT over cpu_high",
			len(withReceived.Moves), left(withReceived), len(withDemand.Moves))
	}
}

// receivedOnly is a copy of s without any demand: what the snapshot was
// before the collector estimated demand.
func receivedOnly(s *collector.Snapshot) *collector.Snapshot {
	c := *s
	c.Hosts = append([]collector.Host(nil), s.Hosts...)
	c.VMs = append([]collector.VM(nil), s.VMs...)
	for i := range c.Hosts {
		c.Hosts[i].CPU.Demand = collector.Demand{}
	}
	for i := range c.VMs {
		c.VMs[i].CPU.Demand = collector.Demand{}
	}
	return &c
}
