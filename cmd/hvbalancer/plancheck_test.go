package main

import (
	"context"
	"sort"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// checkPlanAgainstSnapshot re-checks a plan independently of the planner:
// each move, applied in order to a copy of the snapshot, is judged afresh by
// the shipped policy and must not be denied; no destination ends above its
// memory less the reserve; the hottest hosts come down.
func checkPlanAgainstSnapshot(t *testing.T, plan *balancer.Plan, snap *collector.Snapshot) {
	t.Helper()
	engine, err := policy.Load(policy.Options{Dir: "../../examples/policies"})
	if err != nil {
		t.Fatal(err)
	}
	cur := cloneSnapshot(snap)
	moved := map[string]bool{}
	for i, m := range plan.Moves {
		if moved[m.VM] {
			t.Errorf("move %d: %s moves twice", i, m.VMName)
		}
		moved[m.VM] = true
		v, ok := cur.VM(m.VM)
		if !ok || v.Host != m.From || m.From == m.To {
			t.Fatalf("move %d: %s is not on %s (or moves to its own host)", i, m.VMName, m.From)
		}
		round, err := engine.Begin(context.Background(), balancer.PolicyInput(cur, policy.History{}, nil))
		if err != nil {
			t.Fatal(err)
		}
		pm, pp, err := balancer.Project(cur, m.VM, m.To)
		if err != nil {
			t.Fatal(err)
		}
		verdict, err := round.Judge(context.Background(), pm, pp)
		if err != nil {
			t.Fatal(err)
		}
		if len(verdict.Deny) > 0 {
			t.Errorf("move %d (%s %s→%s) is denied by the shipped policy: %v", i, m.VMName, m.From, m.To, verdict.Deny)
		}
		applyMove(cur, m)
	}
	const reserve = 4 << 30 // examples/sim.yaml keeps the default reserve
	for _, h := range cur.Hosts {
		used := h.Memory.P95 / 100 * float64(h.MemoryBytes)
		if plan.Efficacy.Moves > 0 && used > float64(h.MemoryBytes-reserve)+1 {
			t.Errorf("%s ends with %.1f GiB used of %.1f GiB (reserve 4 GiB)", h.Name, used/(1<<30), float64(h.MemoryBytes)/(1<<30))
		}
	}
	// The demo fleet has two hot hosts: both must come down.
	hosts := append([]collector.Host(nil), snap.Hosts...)
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].CPU.Mean > hosts[j].CPU.Mean })
	for _, h := range hosts[:2] {
		after, _ := cur.Host(h.Name)
		if after.CPU.Mean >= h.CPU.Mean {
			t.Errorf("hot host %s: CPU %.1f%% before, %.1f%% after the plan", h.Name, h.CPU.Mean, after.CPU.Mean)
		}
	}
}

func cloneSnapshot(s *collector.Snapshot) *collector.Snapshot {
	c := *s
	c.Hosts = append([]collector.Host(nil), s.Hosts...)
	c.VMs = append([]collector.VM(nil), s.VMs...)
	return &c
}

// applyMove moves a VM in the snapshot copy and shifts its load between the
// two hosts' stats.
func applyMove(s *collector.Snapshot, m balancer.Move) {
	v, _ := s.VM(m.VM)
	from, _ := s.Host(m.From)
	to, _ := s.Host(m.To)
	shift := func(h *collector.Host, sign float64) {
		cpu := sign * 100 * (v.CPU.Mean + v.CPU.P95) / 2 / float64(h.LogicalProcessors)
		mem := sign * 100 * float64(v.MemoryAssigned) / float64(h.MemoryBytes)
		h.CPU.Mean += cpu
		h.CPU.P95 += cpu
		h.CPU.Last += cpu
		h.Memory.Mean += mem
		h.Memory.P95 += mem
		h.Memory.Last += mem
	}
	shift(from, -1)
	shift(to, +1)
	v.Host = m.To
}
