package balancer_test

import (
	"context"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/policy"
)

// TestProjectedVMMemory: every candidate the planner judges carries its
// destination's VM memory, the memory assigned to the VMs its projection
// lists, moves planned before it included, so that a rule can read the sum
// instead of looking each VM up.
func TestProjectedVMMemory(t *testing.T) {
	s := benchFleet(16, 800, 4)
	assigned := make(map[string]int64, len(s.VMs))
	for _, v := range s.VMs {
		assigned[v.ID] = v.MemoryAssigned
	}
	judged, wrong := 0, 0
	rules := &fakeRules{deny: func(m policy.Move, p policy.Projected) []string {
		judged++
		var sum int64
		for _, id := range p.To.VMs {
			sum += assigned[id]
		}
		if p.To.VMMemoryBytes != sum || sum == 0 {
			wrong++
			t.Errorf("%s to %s: vm memory %d, the VMs it lists hold %d", m.VM, m.To, p.To.VMMemoryBytes, sum)
		}
		return nil
	}}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, rules, "sha256:test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moves) < 2 || judged < len(p.Moves) {
		t.Fatalf("%d moves, %d candidates judged: want a plan whose later candidates follow earlier moves", len(p.Moves), judged)
	}
	if wrong > 0 {
		t.Fatalf("%d of %d candidates had a wrong sum", wrong, judged)
	}
}
