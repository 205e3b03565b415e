package balancer_test

import (
	"fmt"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// prepFleet is a dense fleet (mean CPU 71.0 %, over the 70 % fill line)
// where the busiest host, HV01 (83.3 % CPU, thirteen 2-core VMs), has no
// single move nor swap: HV02 (52.8 % CPU) has the CPU room but is full in
// memory (79.7 %: a VM of HV01 takes it to 82.8, over the 80 % a balancing
// move fills memory to), and HV03 and HV04 (73.9 %) are past the fill
// line, where a VM of HV01 would end at 80.2 %, not below HV01's 77 %
// after it leaves. HV02's light VM "light" (0.25 cores, 16 GiB) can go
// to HV03 (74.7 %, under cpu_high), after which one of HV01's VMs fits on
// HV02.
func prepFleet() *collector.Snapshot {
	hosts := []collector.Host{newHost("HV01", 32, 256), newHost("HV02", 32, 256), newHost("HV03", 32, 256), newHost("HV04", 32, 256)}
	vms := []collector.VM{newVM("light", "HV02", 0.25, 16)}
	for i := range 13 {
		vms = append(vms, newVM(fmt.Sprintf("busy-%02d", i), "HV01", 2, 8))
	}
	for i := range 8 {
		vms = append(vms, newVM(fmt.Sprintf("full-%02d", i), "HV02", 2, 23))
	}
	for _, h := range []string{"HV03", "HV04"} {
		for i := range 11 {
			vms = append(vms, newVM(fmt.Sprintf("%s-%02d", h, i), h, 2, 8))
		}
		vms = append(vms, newVM(h+"-one", h, 1, 8))
	}
	return fleet(hosts, vms)
}

// On a dense fleet where the hosts with CPU room are full in memory, the
// search looks one move ahead: a light VM off the host with CPU room
// makes room for one of the busiest host's, and the pair is planned, the
// room first. The old search planned nothing here. With the room's move
// denied by the policy, nothing is planned.
func TestPrepareRoomOnADenseFleet(t *testing.T) {
	s := prepFleet()
	cfg := balancer.DefaultConfig()
	p := planChecked(t, s, cfg, nil)
	if len(p.Moves) < 2 {
		t.Fatalf("%d moves, want the pair that makes room on HV02: %s", len(p.Moves), p.Search.Stopped)
	}
	first, second := p.Moves[0], p.Moves[1]
	if first.VMName != "light" || first.From != "HV02" || (first.To != "HV03" && first.To != "HV04") {
		t.Errorf("first move %s %s→%s, want light off HV02 to HV03 or HV04", first.VMName, first.From, first.To)
	}
	if second.From != "HV01" || second.To != "HV02" {
		t.Errorf("second move %s %s→%s, want a VM of HV01 to HV02", second.VMName, second.From, second.To)
	}
	if p.Search.Preps < 1 {
		t.Errorf("search counts %d pairs that make room, want at least 1", p.Search.Preps)
	}
	if p.Efficacy.CPU.MaxAfter >= p.Efficacy.CPU.MaxBefore {
		t.Errorf("busiest host %.1f %% → %.1f %%, want it lower", p.Efficacy.CPU.MaxBefore, p.Efficacy.CPU.MaxAfter)
	}

	deny := &fakeRules{deny: func(m policy.Move, _ policy.Projected) []string {
		if m.VM == "light" {
			return []string{"stays"}
		}
		return nil
	}}
	if p := planChecked(t, s, cfg, deny); len(p.Moves) != 0 {
		t.Errorf("with light's move denied: %d moves, want none (%s)", len(p.Moves), p.Search.Stopped)
	}
}
