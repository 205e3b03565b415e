package balancer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
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
// with the cooldowns over, the held moves are planned. The policy is asked
// about the cooled VMs' moves: moves it denies (here to HV02, as an
// anti-affinity rule or a pin would) or prices below the minimum would not
// be planned after the cooldowns either, so a fleet whose only gaining
// moves they are is balanced; with two of the five VMs denied, the other
// three are counted and the first free is the soonest of theirs (busy-1,
// moved 34 minutes ago).
func TestCooldownHeldIsNotBalanced(t *testing.T) {
	cfg := balancer.DefaultConfig()
	tests := []struct {
		name     string
		busy     int           // 4-core VMs on HV01 besides quiet-2
		ago      time.Duration // since the VMs on HV01 migrated
		deny     func(m policy.Move, p policy.Projected) []string
		penalty  func(m policy.Move, p policy.Projected) float64
		moves    bool
		balanced bool
		message  string
	}{
		{"held by the cooldown", 4, 20 * time.Minute, nil, nil, false, false,
			"No move planned: no move within the limits gains at least 1 points, save 5 moves of 5 VMs in cooldown (1h0m0s after a VM's migration), the first free at 2026-01-05T08:12:00Z."},
		{"nothing to hold", 1, 20 * time.Minute, nil, nil, false, true, "The fleet is already balanced: no host is hot, and no move within the limits gains at least 1 points ("},
		{"cooldown over", 4, 2 * time.Hour, nil, nil, true, false, ""},
		{"denied by the policy", 4, 20 * time.Minute, denyTo("HV02", "anti-affinity: not on HV02"), nil, false, true,
			"The fleet is already balanced: no host is hot, and no move within the limits gains at least 1 points ("},
		{"priced out by the policy", 4, 20 * time.Minute, nil, func(policy.Move, policy.Projected) float64 { return 100 }, false, true,
			"The fleet is already balanced: no host is hot, and no move within the limits gains at least 1 points ("},
		{"some denied by the policy", 4, 20 * time.Minute, denyVMs("busy-2", "busy-3"), nil, false, false,
			"No move planned: no move within the limits gains at least 1 points, save 3 moves of 3 VMs in cooldown (1h0m0s after a VM's migration), the first free at 2026-01-05T08:26:00Z."},
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
			rules := &fakeRules{deny: tc.deny, penalty: tc.penalty}
			p, err := pl.Plan(context.Background(), s, rules, "sha256:cooldown", hist)
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
			if !tc.moves && p.Search.Judged != len(rules.judged) {
				t.Errorf("search judged %d, the policy was asked %d times", p.Search.Judged, len(rules.judged))
			}
		})
	}
}

// denyVMs denies every move of the VMs.
func denyVMs(ids ...string) func(policy.Move, policy.Projected) []string {
	return func(m policy.Move, _ policy.Projected) []string {
		if slices.Contains(ids, m.VM) {
			return []string{"pinned: " + m.VM}
		}
		return nil
	}
}

// The policy is asked about the best 64 of the cooled VMs' worthwhile
// moves at most (here 12 VMs on HV01, each with nine destinations, 108
// moves that gain alike and rank by VM), and the stop then says "at
// least": the moves it counted, of the first eight VMs, the first of
// which frees at 08:43 (busy-07, moved 17 minutes ago), are some of those
// the planner would make once the cooldowns end.
func TestCooldownJudgesTheBestMovesOnly(t *testing.T) {
	rules := &fakeRules{}
	p := planCooled(t, 12, 2.5, 8, rules)
	if len(p.Moves) != 0 || p.Balanced == nil || *p.Balanced {
		t.Fatalf("%d moves, balanced %v, want none and not balanced (%s)", len(p.Moves), p.Balanced, p.Message)
	}
	if len(rules.judged) != 64 || p.Search.Judged != 64 {
		t.Errorf("the policy was asked %d times (search judged %d), want 64", len(rules.judged), p.Search.Judged)
	}
	want := "save at least 64 moves of 8 VMs in cooldown (1h0m0s after a VM's migration), the first free at 2026-01-05T08:43:00Z"
	if !strings.Contains(p.Search.Stopped, want) {
		t.Errorf("stopped %q, want it to say %q", p.Search.Stopped, want)
	}
}

// The policy is asked about the cooled VMs' moves a batch of 64 at a time
// while it allows none: with the first eight VMs' moves denied (the
// first batch, and eight of the second), the second batch's moves of the
// four others are counted, and the stop names them without "at least",
// every move having been asked about. With every move denied the plan is
// balanced, every move asked about; with more moves than a step may judge
// (30 VMs, 270 moves), all denied, the plan asks about 256, says how many
// it did not ask about, and does not call the fleet balanced: a denial of
// the best does not say the rest would be denied.
func TestCooldownAsksOnWhileEveryMoveIsDenied(t *testing.T) {
	tests := []struct {
		name     string
		vms      int
		cores    float64
		deny     func(policy.Move, policy.Projected) []string
		judged   int
		balanced bool
		stopped  string
	}{
		{"the second batch allowed", 12, 2.5, denyVMs("busy-00", "busy-01", "busy-02", "busy-03", "busy-04", "busy-05", "busy-06", "busy-07"), 108, false,
			"save 36 moves of 4 VMs in cooldown (1h0m0s after a VM's migration), the first free at 2026-01-05T08:39:00Z"},
		{"every move denied", 12, 1.5, denyAll, 108, true, ""},
		{"more than a step may judge, all denied", 30, 0.6, denyAll, 256, false,
			"and the policy denied or priced out the best 256 moves of VMs in cooldown (1h0m0s after a VM's migration), 14 more not asked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rules := &fakeRules{deny: tc.deny}
			p := planCooled(t, tc.vms, tc.cores, 4, rules)
			if len(p.Moves) != 0 || p.Balanced == nil || *p.Balanced != tc.balanced {
				t.Fatalf("%d moves, balanced %v, want none and balanced %v (%s)", len(p.Moves), p.Balanced, tc.balanced, p.Message)
			}
			if len(rules.judged) != tc.judged || p.Search.Judged != tc.judged {
				t.Errorf("the policy was asked %d times (search judged %d), want %d", len(rules.judged), p.Search.Judged, tc.judged)
			}
			if tc.stopped != "" && !strings.Contains(p.Search.Stopped, tc.stopped) {
				t.Errorf("stopped %q, want it to say %q", p.Search.Stopped, tc.stopped)
			}
			if strings.Contains(p.Search.Stopped, "save at least") {
				t.Errorf("stopped %q says \"at least\", though every move was asked about or none was allowed", p.Search.Stopped)
			}
		})
	}
}

// planCooled plans, with the default settings and rules, ten hosts of 32
// logical processors whose first, HV01, holds n VMs (busy-00, busy-01 ...)
// of cores and memGiB each, busy-NN having migrated 10+NN minutes before
// the snapshot: all in their cooldown.
func planCooled(t *testing.T, n int, cores float64, memGiB int64, rules *fakeRules) *balancer.Plan {
	t.Helper()
	hosts := []collector.Host{newHost("HV01", 32, 256)}
	for i := 2; i <= 10; i++ {
		hosts = append(hosts, newHost(fmt.Sprintf("HV%02d", i), 32, 256))
	}
	var vms []collector.VM
	hist := &balancer.History{LastMoved: map[string]time.Time{}}
	for i := range n {
		v := newVM(fmt.Sprintf("busy-%02d", i), "HV01", cores, memGiB)
		vms = append(vms, v)
		hist.LastMoved[v.ID] = taken.Add(-10*time.Minute - time.Duration(i)*time.Minute)
	}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), fleet(hosts, vms), rules, "sha256:cooldown", hist)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// denyAll denies every move.
func denyAll(policy.Move, policy.Projected) []string { return []string{"anti-affinity"} }
