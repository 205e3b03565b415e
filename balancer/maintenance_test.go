package balancer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// allowAll is a user policy with no maintenance rule at all: no deny, no
// request, no penalty.
const allowAll = `package hvbalancer
`

func label(k, v string) hostOpt {
	return func(h *collector.Host) {
		if h.Labels == nil {
			h.Labels = map[string]string{}
		}
		h.Labels[k] = v
	}
}

// planRego plans s through the real planner with the Rego policy e.
func planRego(t *testing.T, e *policy.Engine, s *collector.Snapshot, cfg balancer.Config) *balancer.Plan {
	t.Helper()
	ctx := context.Background()
	session, err := e.Begin(ctx, balancer.PolicyInput(s, policy.History{}, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(ctx, s, session, e.Digest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s, cfg, session, nil, p)
	return p
}

// TestMaintenanceNeverADestination: with a policy that allows every move
// and a request into a labelled host, the planner sends nothing into a
// host in maintenance, by flag or by label (in any case), though they are
// the coolest hosts of a fleet with a hot one. The planner once checked
// only the flag and balanced into the labelled host.
func TestMaintenanceNeverADestination(t *testing.T) {
	var vms []collector.VM
	for _, id := range ids("a", 8) {
		vms = append(vms, newVM(id, "hv01", 4, 16))
	}
	vms = append(vms, newVM("b01", "hv04", 6, 16))
	hosts := []collector.Host{
		newHost("hv01", 32, 256),
		newHost("hv02", 32, 256, maintenance()),
		newHost("hv03", 32, 256, label("maintenance", "True")),
		newHost("hv04", 32, 256),
	}
	s := fleet(hosts, vms)
	banned := map[string]bool{"hv02": true, "hv03": true}

	check := func(t *testing.T, p *balancer.Plan) {
		t.Helper()
		if len(p.Moves) == 0 {
			t.Fatal("no move planned off the hot host")
		}
		for _, m := range p.Moves {
			if banned[m.To] {
				t.Errorf("move of %s into %s, a host in maintenance", m.VM, m.To)
			}
		}
		for _, h := range p.Hosts {
			if banned[h.Name] && (h.Eligible || h.Status != "maintenance") {
				t.Errorf("host %s: eligible %v, status %q; want in maintenance", h.Name, h.Eligible, h.Status)
			}
		}
	}
	t.Run("rego", func(t *testing.T) {
		check(t, planRego(t, loadRego(t, allowAll), s, balancer.DefaultConfig()))
	})
	t.Run("requested", func(t *testing.T) {
		rules := &fakeRules{requests: []policy.Request{
			{VM: "a01", To: "hv03", Reason: "a01: wants hv03", Priority: 10},
			{VM: "a02", To: "hv02", Reason: "a02: wants hv02", Priority: 10},
		}}
		p := planFake(t, s, rules, balancer.DefaultConfig())
		check(t, p)
		if len(p.Unmet) == 0 {
			t.Errorf("requests into hosts in maintenance are not reported as unmet: %+v", p.Unmet)
		}
	})
}

// planFake plans s with fake rules through the real planner.
func planFake(t *testing.T, s *collector.Snapshot, rules *fakeRules, cfg balancer.Config) *balancer.Plan {
	t.Helper()
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, rules, "fake", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s, cfg, rules, nil, p)
	return p
}

// drainFleet has hv03 in maintenance (by flag or label) with three running
// VMs and one that is off, and three hosts to take them.
func drainFleet(opt hostOpt) *collector.Snapshot {
	vms := []collector.VM{
		newVM("a01", "hv01", 2, 16), newVM("b01", "hv02", 2, 16),
		newVM("m01", "hv03", 2, 16), newVM("m02", "hv03", 1, 8), newVM("m03", "hv03", 1, 8),
		newVM("m04", "hv03", 1, 8, state("Off")),
		newVM("c01", "hv04", 2, 16),
	}
	return fleet([]collector.Host{
		newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256, opt), newHost("hv04", 32, 256),
	}, vms)
}

// TestMaintenanceDrainsWithoutRequestRule: with a policy that has no
// request rule, the planner itself evacuates every running VM of a host
// in maintenance (by flag or label), says why in each move, leaves the
// VM that is off, and reports the evacuations max_moves leaves out under
// the maintenance kind. The planner once left that to the policy: nothing
// drained.
func TestMaintenanceDrainsWithoutRequestRule(t *testing.T) {
	e := loadRego(t, allowAll)
	for name, opt := range map[string]hostOpt{"flag": maintenance(), "label": label("maintenance", "true")} {
		t.Run(name, func(t *testing.T) {
			p := planRego(t, e, drainFleet(opt), balancer.DefaultConfig())
			out := map[string]bool{}
			for _, m := range p.Moves {
				if m.From != "hv03" {
					continue
				}
				out[m.VM] = true
				if m.Trigger != balancer.TriggerRequest || !strings.Contains(m.Reason, "evacuate hv03 (maintenance)") {
					t.Errorf("move of %s: trigger %q, reason %q; want a maintenance request", m.VM, m.Trigger, m.Reason)
				}
				if m.To == "hv03" {
					t.Errorf("move of %s back into hv03", m.VM)
				}
			}
			for _, id := range []string{"m01", "m02", "m03"} {
				if !out[id] {
					t.Errorf("running vm %s left on hv03 in maintenance: %+v", id, p.Moves)
				}
			}
			if out["m04"] {
				t.Error("vm m04, which is off, was moved")
			}

			cfg := balancer.DefaultConfig()
			cfg.MaxMoves = 2
			p = planRego(t, e, drainFleet(opt), cfg)
			if len(p.Moves) != 2 {
				t.Fatalf("max_moves 2: %d moves, want 2 evacuations: %+v", len(p.Moves), p.Moves)
			}
			if len(p.Unmet) != 1 || p.Unmet[0].Kind != balancer.MaintenanceKind || p.Unmet[0].Count != 1 ||
				!strings.Contains(p.Unmet[0].Example, "(maintenance)") {
				t.Errorf("unmet %+v, want the one maintenance evacuation max_moves left out", p.Unmet)
			}
		})
	}
}

// TestMaintenanceRequestsMerged: the planner's evacuation of a VM the
// policy already asks to evacuate is not made twice (the policy's reason
// stands), and the policy's deny still applies to an evacuation: a VM no
// destination may take stays, and the plan says so.
func TestMaintenanceRequestsMerged(t *testing.T) {
	rules := &fakeRules{
		requests: []policy.Request{{VM: "m01", Reason: "m01: drain hv03 by policy", Priority: 5, Kind: balancer.MaintenanceKind}},
		deny: func(m policy.Move, _ policy.Projected) []string {
			if m.VM == "m03" {
				return []string{"m03 stays"}
			}
			return nil
		},
	}
	p := planFake(t, drainFleet(maintenance()), rules, balancer.DefaultConfig())
	reasons := map[string]string{}
	for _, m := range p.Moves {
		if _, dup := reasons[m.VM]; dup {
			t.Errorf("vm %s moved twice", m.VM)
		}
		reasons[m.VM] = m.Reason
	}
	if reasons["m01"] != "m01: drain hv03 by policy" {
		t.Errorf("m01 moved for %q, want the policy's own request", reasons["m01"])
	}
	if _, ok := reasons["m02"]; !ok {
		t.Errorf("m02 not evacuated: %+v", p.Moves)
	}
	if _, ok := reasons["m03"]; ok {
		t.Error("m03 moved though the policy denies every destination")
	}
	if len(p.Unmet) != 1 || p.Unmet[0].Kind != balancer.MaintenanceKind || p.Unmet[0].Count != 1 {
		t.Errorf("unmet %+v, want m03's evacuation, denied", p.Unmet)
	}
}

// TestMaintenanceEvacuationNotReserved: while a host is hot, requests
// leave the last quarter of max_moves to balancing, but evacuations do
// not: every max_moves of the plan may evacuate a host in maintenance, by
// flag or by label.
func TestMaintenanceEvacuationNotReserved(t *testing.T) {
	e := loadRego(t, allowAll)
	for name, opt := range map[string]hostOpt{"flag": maintenance(), "label": label("maintenance", "TRUE")} {
		t.Run(name, func(t *testing.T) {
			var vms []collector.VM
			for _, id := range ids("a", 8) {
				vms = append(vms, newVM(id, "hv01", 4, 16))
			}
			for _, id := range ids("m", 4) {
				vms = append(vms, newVM(id, "hv03", 1, 8))
			}
			s := fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256, opt), newHost("hv04", 32, 256)}, vms)
			cfg := balancer.DefaultConfig()
			cfg.MaxMoves = 4
			p := planRego(t, e, s, cfg)
			hot := false
			for _, h := range p.Hosts {
				hot = hot || h.Hot
			}
			if !hot {
				t.Fatal("no host is hot: the reserve is not in play")
			}
			if len(p.Moves) != 4 {
				t.Fatalf("%d moves, want 4 evacuations: %+v", len(p.Moves), p.Moves)
			}
			for _, m := range p.Moves {
				if m.From != "hv03" || m.Trigger != balancer.TriggerRequest {
					t.Errorf("move of %s from %s (%s), want an evacuation of hv03", m.VM, m.From, m.Trigger)
				}
			}
			if len(p.Unmet) != 0 {
				t.Errorf("unmet %+v, want none", p.Unmet)
			}
		})
	}
}
