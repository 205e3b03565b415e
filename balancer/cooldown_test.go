package balancer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// A plan whose only gaining moves are of VMs in their cooldown does not
// call the fleet balanced: every VM on HV01 (62.5 % CPU, not hot, against
// HV02's 12.5 %) migrated less than the cooldown ago, so the plan moves
// nothing, yet the planner would move load once the first of them frees.
// Balanced is false, the message says no move was planned, how many
// gaining moves the cooldown held and when the first VM frees (the one
// moved 48 minutes ago, at 08:12), and the daemon's round then reads "no
// move", not "balanced". With no move gaining the minimum even without the
// cooldowns (HV01 with two VMs, HV02 with one: a move only turns the
// imbalance round), the fleet is balanced though its VMs are in cooldown;
// with the cooldowns over, the held moves are planned.
func TestCooldownHeldIsNotBalanced(t *testing.T) {
	cfg := balancer.DefaultConfig()
	tests := []struct {
		name     string
		busy     int           // 4-core VMs on HV01 besides quiet-2
		ago      time.Duration // since the VMs on HV01 migrated
		moves    bool
		balanced bool
		message  string
	}{
		{"held by the cooldown", 4, 20 * time.Minute, false, false,
			"No move planned: no move within the limits gains at least 1 points, save 5 moves of 5 VMs in cooldown (1h0m0s after a VM's migration), the first free at 2026-01-05T08:12:00Z."},
		{"nothing to hold", 1, 20 * time.Minute, false, true, "The fleet is already balanced: no host is hot, and no move within the limits gains at least 1 points ("},
		{"cooldown over", 4, 2 * time.Hour, true, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vms := []collector.VM{newVM("quiet", "HV02", 4, 8), newVM("quiet-2", "HV01", 4, 8)}
			for i := range tc.busy {
				vms = append(vms, newVM(fmt.Sprintf("busy-%d", i), "HV01", 4, 8))
			}
			hist := &balancer.History{LastMoved: map[string]time.Time{}}
			for i, v := range vms[1:] { // HV01's, one every 7 minutes
				hist.LastMoved[v.ID] = taken.Add(-tc.ago - time.Duration(i)*7*time.Minute)
			}
			s := fleet([]collector.Host{newHost("HV01", 32, 256), newHost("HV02", 32, 256)}, vms)
			pl, err := balancer.NewPlanner(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:cooldown", hist)
			if err != nil {
				t.Fatal(err)
			}
			if (len(p.Moves) > 0) != tc.moves {
				t.Fatalf("%d moves, want moves %v (%s)", len(p.Moves), tc.moves, p.Search.Stopped)
			}
			if p.Balanced == nil || *p.Balanced != tc.balanced {
				t.Errorf("balanced %v, want %v (%s)", p.Balanced, tc.balanced, p.Message)
			}
			if !strings.HasPrefix(p.Message, tc.message) {
				t.Errorf("message %q, want it to begin %q", p.Message, tc.message)
			}
		})
	}
}
