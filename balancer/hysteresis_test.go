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

// A search the hysteresis per host pair stopped says so: HV01 (50 % CPU,
// not hot) has four moves that gain the minimum, one per VM, all back
// along the pair HV02 used 20 minutes ago, and the plan's stop, its
// message and its Markdown report count the moves the hysteresis held back
// instead of saying only that no move gains the minimum. With that
// migration past the cooldown a move is planned and the stop names no
// hysteresis.
func TestHysteresisNamedInStop(t *testing.T) {
	cfg := balancer.DefaultConfig()
	tests := []struct {
		name     string
		ago      time.Duration
		moves    int
		held     int
		stopPart string
	}{
		{"held back", 20 * time.Minute, 0, 4, "save 4 moves the hysteresis per host pair held back: each sends load back along a host pair"},
		{"cooldown past", 2 * time.Hour, 1, 0, "no move within the limits gains at least 1 points"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vms := []collector.VM{newVM("quiet", "HV02", 4, 8)}
			for i := range 4 {
				vms = append(vms, newVM(fmt.Sprintf("busy-%d", i), "HV01", 4, 8))
			}
			s := fleet([]collector.Host{newHost("HV01", 32, 256), newHost("HV02", 32, 256)}, vms)
			pl, err := balancer.NewPlanner(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			hist := &balancer.History{Moved: []balancer.Migration{{VM: "vm-x", From: "HV02", To: "HV01", Trigger: balancer.TriggerBalance, At: taken.Add(-tc.ago)}}}
			p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:hysteresis", hist)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Moves) != tc.moves || p.Search.HeldBack != tc.held {
				t.Fatalf("%d moves, %d held back; want %d and %d (%s)", len(p.Moves), p.Search.HeldBack, tc.moves, tc.held, p.Search.Stopped)
			}
			if !strings.Contains(p.Search.Stopped, tc.stopPart) {
				t.Errorf("stop %q, want it to say %q", p.Search.Stopped, tc.stopPart)
			}
			if tc.held == 0 {
				if strings.Contains(p.Search.Stopped, "hysteresis") {
					t.Errorf("stop %q names the hysteresis, which held nothing back", p.Search.Stopped)
				}
				return
			}
			if !strings.Contains(p.Message, tc.stopPart) {
				t.Errorf("message %q, want it to say %q", p.Message, tc.stopPart)
			}
			var md strings.Builder
			if err := p.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md.String(), tc.stopPart) {
				t.Errorf("the Markdown report does not say %q:\n%s", tc.stopPart, md.String())
			}
		})
	}
}

// A plan whose only gaining moves the hysteresis per host pair held back
// does not call the fleet balanced: HV01 (62.5 % CPU, not hot) has five
// moves that gain the minimum, all back along the pair HV02 used 20
// minutes ago. The plan moves nothing, yet the planner would move load but
// for the hysteresis, so Balanced is false and the message says no move
// was planned and why, as when the policy denies the gaining moves; the
// daemon's round then reads "no move", not "balanced". With the
// hysteresis holding nothing back and no move gaining the minimum (HV01
// with two VMs, HV02 with one: a move only turns the imbalance round), the
// fleet is balanced.
func TestHysteresisHeldBackIsNotBalanced(t *testing.T) {
	cfg := balancer.DefaultConfig()
	tests := []struct {
		name     string
		busy     int // 4-core VMs on HV01
		balanced bool
		message  string
	}{
		{"held back", 4, false, "No move planned: no move within the limits gains at least 1 points, save 5 moves the hysteresis per host pair held back"},
		{"nothing to hold back", 1, true, "The fleet is already balanced: no host is hot, and no move within the limits gains at least 1 points ("},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vms := []collector.VM{newVM("quiet", "HV02", 4, 8), newVM("quiet-2", "HV01", 4, 8)}
			for i := range tc.busy {
				vms = append(vms, newVM(fmt.Sprintf("busy-%d", i), "HV01", 4, 8))
			}
			s := fleet([]collector.Host{newHost("HV01", 32, 256), newHost("HV02", 32, 256)}, vms)
			pl, err := balancer.NewPlanner(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			hist := &balancer.History{Moved: []balancer.Migration{{VM: "vm-x", From: "HV02", To: "HV01", Trigger: balancer.TriggerBalance, At: taken.Add(-20 * time.Minute)}}}
			p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:hysteresis", hist)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Moves) != 0 {
				t.Fatalf("%d moves, want none (%s)", len(p.Moves), p.Search.Stopped)
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

// A move back along a host pair used the other way within the cooldown
// gets no peak relief credit, even off a host that was hot before the plan
// (the hysteresis lets those through): it must gain the minimum on its
// own. On this fleet (found by a random search over small fleets) HV01 is
// hot at 80 % CPU and HV04 sent it load 20 minutes ago; once three moves
// have relieved HV01, the plateau's credit would carry vm-01 back to HV04
// on a gain under the minimum.
func TestHysteresisNoReliefBack(t *testing.T) {
	cfg := balancer.DefaultConfig()
	cfg.Aggressiveness = 2
	hosts := []collector.Host{newHost("HV01", 32, 256), newHost("HV02", 32, 256), newHost("HV03", 32, 256), newHost("HV04", 32, 256)}
	vms := []collector.VM{
		newVM("vm-00", "HV04", 1, 52), newVM("vm-01", "HV01", 1, 2), newVM("vm-02", "HV01", 7, 38),
		newVM("vm-03", "HV01", 7, 61), newVM("vm-04", "HV01", 6, 14), newVM("vm-05", "HV01", 4, 6),
	}
	s := fleet(hosts, vms)
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := &fakeRules{}
	hist := &balancer.History{Moved: []balancer.Migration{{VM: "vm-x", From: "HV04", To: "HV01", Trigger: balancer.TriggerBalance, At: taken.Add(-20 * time.Minute)}}}
	p, err := pl.Plan(context.Background(), s, rules, "sha256:hysteresis", hist)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s, cfg, rules, nil, p)
	back := 0
	for _, m := range p.Moves {
		if m.From != "HV01" || m.To != "HV04" {
			continue
		}
		back++
		if m.Gain < balancer.MinGain(cfg.Aggressiveness) {
			t.Errorf("%s went back HV01→HV04 gaining %g, under the minimum %g", m.VM, m.Gain, balancer.MinGain(cfg.Aggressiveness))
		}
	}
	if back == 0 {
		t.Errorf("no move HV01→HV04 (%d moves; %s): the hot host may still send load back along the pair when the move gains the minimum", len(p.Moves), p.Search.Stopped)
	}
}
