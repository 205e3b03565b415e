package balancer_test

import (
	"context"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
)

// TestVMReportedByTwoHostsIsNotMoved: a VM two hosts reported in one poll
// (collector.VM.ReportedBy) may be on either; the planner leaves it where
// it is until one host reports it, while the hot host's other VMs move.
func TestVMReportedByTwoHostsIsNotMoved(t *testing.T) {
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", LPs: 32, MemoryGiB: 512, VMs: []collectortest.VMSpec{
			{Name: "big-1", CPUs: 8, CPU: 8, MemoryGiB: 32}, {Name: "big-2", CPUs: 8, CPU: 8, MemoryGiB: 32},
			{Name: "big-3", CPUs: 8, CPU: 8, MemoryGiB: 32},
		}},
		collectortest.HostSpec{Name: "HV02", LPs: 32, MemoryGiB: 512},
		collectortest.HostSpec{Name: "HV03", LPs: 32, MemoryGiB: 512},
	)
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := func() *balancer.Plan {
		t.Helper()
		p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:allow-all", nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	moved := map[string]bool{}
	for _, m := range plan().Moves {
		moved[m.VMName] = true
	}
	if len(moved) < 2 {
		t.Fatalf("without a conflict, %d VMs of the hot HV01 move; the test needs 2 or more", len(moved))
	}
	var conflicted string
	for i := range s.VMs {
		if moved[s.VMs[i].Name] {
			s.VMs[i].ReportedBy = []string{"HV01", "HV03"}
			conflicted = s.VMs[i].Name
			break
		}
	}
	p := plan()
	for _, m := range p.Moves {
		if m.VMName == conflicted {
			t.Errorf("%s, reported by HV01 and HV03, is planned %s → %s", m.VMName, m.From, m.To)
		}
	}
	if len(p.Moves) == 0 {
		t.Error("no VM moves: the hot host's other VMs should")
	}
	if p.Held.HostUnavailable != 1 {
		t.Errorf("held for their host: %d, want 1", p.Held.HostUnavailable)
	}
}
