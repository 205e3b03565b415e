package balancer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// The hysteresis per host pair: a host that is not hot sends no balancing
// move back along a pair that a migration used the other way within the
// cooldown; it does once the cooldown has passed, along the pair's own
// direction, and when the host is hot. Migrations a policy request made
// (a host's evacuation: its load comes back once it leaves maintenance)
// and those of hosts the snapshot does not know change nothing.
func TestHysteresisPerHostPair(t *testing.T) {
	cfg := balancer.DefaultConfig() // cooldown 1 h, cpu_high 75
	back := func(ago time.Duration) []balancer.Migration {
		return []balancer.Migration{{VM: "vm-x", From: "HV02", To: "HV01", Trigger: balancer.TriggerBalance, At: taken.Add(-ago)}}
	}
	tests := []struct {
		name  string
		vms   int // 4-core VMs on HV01 (12.5 points each of its 32 processors)
		moved []balancer.Migration
		want  bool // a move HV01→HV02 is planned
	}{
		{"no history", 4, nil, true},
		{"HV02 sent load to HV01 20 minutes ago", 4, back(20 * time.Minute), false},
		{"the same migration still running, ending after the snapshot", 4, back(-time.Minute), false},
		{"HV02 sent load to HV01 before the cooldown", 4, back(time.Hour), true},
		{"HV01 sent load to HV02 lately: the same direction", 4, []balancer.Migration{{VM: "vm-x", From: "HV01", To: "HV02", Trigger: balancer.TriggerBalance, At: taken.Add(-20 * time.Minute)}}, true},
		{"HV02 sent load to HV01 by a policy request (an evacuation) 20 minutes ago", 4, []balancer.Migration{{VM: "vm-x", From: "HV02", To: "HV01", Trigger: balancer.TriggerRequest, At: taken.Add(-20 * time.Minute)}}, true},
		{"HV01 hot (89.5 % CPU) after HV02 sent it load", 7, back(20 * time.Minute), true},
		{"a migration of a host not in the snapshot", 4, []balancer.Migration{{VM: "vm-x", From: "HV09", To: "HV01", Trigger: balancer.TriggerBalance, At: taken.Add(-20 * time.Minute)}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vms := []collector.VM{newVM("quiet", "HV02", 4, 8)}
			for i := range tc.vms {
				vms = append(vms, newVM(fmt.Sprintf("busy-%d", i), "HV01", 4, 8))
			}
			s := fleet([]collector.Host{newHost("HV01", 32, 256), newHost("HV02", 32, 256)}, vms)
			pl, err := balancer.NewPlanner(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			rules := &fakeRules{}
			hist := &balancer.History{Moved: tc.moved}
			p, err := pl.Plan(context.Background(), s, rules, "sha256:hysteresis", hist)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s, cfg, rules, nil, p)
			got := false
			for _, m := range p.Moves {
				if m.From == "HV01" && m.To == "HV02" {
					got = true
				}
			}
			if got != tc.want {
				t.Errorf("a move HV01→HV02 planned: %v, want %v (%d moves; %s)", got, tc.want, len(p.Moves), p.Search.Stopped)
			}
		})
	}
}
