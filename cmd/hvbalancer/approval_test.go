package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// The approval test's fleet and the planner's hard limits it runs with.
const (
	approvalFleet   = "testdata/fleets/approval.yaml"
	approvalCeiling = 70.0 // planner.cpu_ceiling, percent
	approvalReserve = 4    // planner.memory_reserve_gib
	approvalInflow  = 3    // planner.max_inflow_per_host
	// approvalWindow is the collector's window in simulated time (5s of
	// real time at speed 60): the plan is taken from a full one.
	approvalWindow = 5 * time.Minute
)

// Tolerances of the check of the destinations after the moves, in
// percentage points. The planner guarantees its limits on the snapshot it
// planned from; the check reads a later one, taken a full window after the
// last move landed, a few simulated minutes on. The destinations' VMs
// swing in step with a two-minute period, so a five-minute window holds
// two and a half swings and their smoothed CPU holds still (it moved by
// less than a point between the two snapshots in every run); the small
// VMs moved there are steady, with ±1 % noise. 2 points is that drift with
// room to spare, and well below the 6 to 7 points the plan leaves under
// the ceiling on this fleet. Memory is static (assigned memory does not
// wander): half a point covers the rounding of the host's counters.
const (
	approvalCPUTolerance    = 2.0
	approvalMemoryTolerance = 0.5
)

// approvalConfig writes the daemon's configuration for the approval fleet:
// manual automation, the planner's limits above, and every host's own
// limit on simultaneous migrations as the executor's per-host cap.
func approvalConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fleet, _ := filepath.Abs(approvalFleet)
	policies, _ := filepath.Abs("../../examples/policies")
	cfg := fmt.Sprintf(`version: 1
state_dir: state
log: {level: error}
simulator: {fleet: %s, speed: 60}
http: {listen: "127.0.0.1:0", token_file: token}
automation: manual
round_interval: 300ms
collector: {interval: 200ms, window: 5s, stale_after: 5s}
policy: {dir: %s}
planner: {max_moves: 10, max_inflow_per_host: %d, cpu_ceiling: %g, memory_reserve_gib: %d, cooldown: 1h}
executor: {max_concurrent: 4, per_host_cap: 2, migrations_per_minute: 600, burst: 10, drain_timeout: 30s}
`, fleet, policies, approvalInflow, approvalCeiling, approvalReserve)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// plannedPlan is the part of GET /api/v1/plans/{id} the test reads.
type plannedPlan struct {
	ID    string              `json:"id"`
	Moves []balancer.Move     `json:"moves"`
	Hosts []balancer.HostLoad `json:"hosts"`
}

// TestApprovedPlanRunsEveryMove approves, through the API, a plan of many
// moves into the same few destinations on a fleet shaped like the one on
// which approved moves were skipped as stale (a saturated, spiky host
// shedding small VMs; hosts allowing one or two migrations at a time), and
// proves that the re-check before each move agrees with the planner: every
// approved move runs, once, none is skipped, no host runs more migrations
// than it allows, and no destination ends above the planner's limits.
func TestApprovedPlanRunsEveryMove(t *testing.T) {
	d := startDaemon(t, approvalConfig(t))
	began := time.Now()

	// A plan from a full window of samples, as the daemon plans in steady
	// state (the first rounds see only a few samples).
	start := simNow(t, d.admin)
	approvedPlan := approveNewest(t, d, "alice", func(p web.PlanInfo) bool { return !p.Created.Before(start.Add(approvalWindow)) })
	approved := time.Now()
	var plan plannedPlan
	getJSON(t, d.url+"/api/v1/plans/"+approvedPlan.ID, &plan)
	if len(plan.Moves) < 6 {
		t.Fatalf("the fleet gave a plan of %d moves, the test needs at least 6 into a few destinations: tune %s", len(plan.Moves), approvalFleet)
	}
	into := map[string]int{}
	for _, m := range plan.Moves {
		into[m.To]++
	}
	var before web.Hosts
	getJSON(t, d.url+"/api/v1/hosts", &before)
	// The fleet must still tell the planner's measure from a p95 alone:
	// destinations whose p95 is over the ceiling the planner keeps them
	// under. Without them the test could not see a re-check that reads
	// the load another way.
	spiky := 0
	for _, h := range before.Hosts {
		if into[h.Name] > 0 && h.CPU.P95 > approvalCeiling {
			spiky++
		}
	}
	if spiky == 0 {
		t.Fatalf("no destination's CPU p95 is above the %g%% ceiling (%+v): tune %s", approvalCeiling, before.Hosts, approvalFleet)
	}

	// Every approved move to an outcome.
	var hist web.History
	var mine []web.HistoryEntry
	eventually(t, "every approved move to have an outcome", func() bool {
		getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
		mine = mine[:0]
		for _, e := range hist.Entries {
			if strings.HasPrefix(e.PlanID, plan.ID+"#") {
				mine = append(mine, e)
			}
		}
		if len(mine) < len(plan.Moves) {
			return false
		}
		for _, e := range mine {
			if !e.Final {
				return false
			}
		}
		return true
	})
	ran := time.Now()

	var skipped []string
	for _, e := range mine {
		if e.State != web.MoveSucceeded {
			skipped = append(skipped, fmt.Sprintf("  %s %s %s -> %s: %s (%s) %s", e.MoveID, e.VMName, e.From, e.To, e.State, e.Cause, e.Error))
		}
	}
	sort.Strings(skipped)
	if len(skipped) > 0 {
		t.Errorf("%d of the %d approved moves did not run (into %v):\n%s", len(skipped), len(plan.Moves), into, strings.Join(skipped, "\n"))
	}
	// Exactly the plan's moves, each once.
	want := map[string]int{}
	for _, m := range plan.Moves {
		want[m.VM+" "+m.From+" "+m.To]++
	}
	got := map[string]int{}
	for _, e := range mine {
		got[e.VMID+" "+e.From+" "+e.To]++
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("move %s: planned %d times, journaled %d times", k, n, got[k])
		}
	}
	if len(mine) != len(plan.Moves) {
		t.Errorf("the journal holds %d moves of the plan, it has %d", len(mine), len(plan.Moves))
	}

	// The fleet's side: each move ran once, no host above its own limit.
	var l ledger
	getJSON(t, d.admin+"ledger", &l)
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	checkLedgerAgainstJournal(t, l, hist.Entries)
	completed := 0
	for _, e := range l.Entries {
		if e.Outcome == sim.OutcomeCompleted {
			completed++
		}
	}
	if completed != len(plan.Moves)-len(skipped) {
		t.Errorf("the fleet completed %d migrations, the journal shows %d moves succeeded", completed, len(plan.Moves)-len(skipped))
	}

	// The destinations in a snapshot whose whole window is after the last
	// move landed: within the planner's hard limits.
	var last time.Time
	for _, e := range mine {
		if e.Ended.After(last) {
			last = e.Ended
		}
	}
	var after web.Hosts
	eventually(t, "a snapshot a full window after the moves", func() bool {
		getJSON(t, d.url+"/api/v1/hosts", &after)
		return after.Taken.Sub(last) > approvalWindow
	})
	checkDestinations(t, plan, before, after)
	checkLifecycle(t, d, plan.ID)
	t.Logf("plan %s: %d moves into %v; waited %s for the plan, the moves took %s, %s in all",
		plan.ID, len(plan.Moves), into, approved.Sub(began).Round(time.Millisecond),
		ran.Sub(approved).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// checkLifecycle checks the plans' states once the approved plan's moves
// have all succeeded: it is done, with its outcomes; every plan that was
// still waiting when a newer one came is superseded by a newer plan; and
// no plan older than the approved one still waits. On this fleet the loads
// move between rounds, so the daemon made several different plans.
func checkLifecycle(t *testing.T, d *runningDaemon, approved string) {
	t.Helper()
	var plans web.Plans
	eventually(t, "the approved plan to be done", func() bool {
		getJSON(t, d.url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans {
			if p.ID == approved {
				return p.State == web.PlanDone && p.Outcomes[web.MoveSucceeded] > 0
			}
		}
		return false
	})
	var mine web.PlanInfo
	superseded := 0
	for _, p := range plans.Plans {
		switch {
		case p.ID == approved:
			mine = p
		case p.State == web.PlanSuperseded:
			superseded++
			if !planCreated(plans, p.SupersededBy).After(p.Created) {
				t.Errorf("plan %s is superseded by %q, not by a newer plan", p.ID, p.SupersededBy)
			}
		}
	}
	for _, p := range plans.Plans {
		if p.State == web.PlanPending && p.Created.Before(mine.Created) {
			t.Errorf("plan %s, older than the approved %s, still waits for approval", p.ID, approved)
		}
	}
	if superseded == 0 {
		t.Errorf("none of the %d plans was superseded: the daemon replanned while %s waited", len(plans.Plans), approved)
	}
}

// checkDestinations checks every destination of the plan in the snapshot
// after: its CPU demand as the planner measures it, (mean+p95)/2, at most
// the ceiling and its memory in use leaving the reserve free, each within
// the tolerance above.
func checkDestinations(t *testing.T, plan plannedPlan, before, after web.Hosts) {
	t.Helper()
	spec, err := fleetfile.LoadFleet(approvalFleet)
	if err != nil {
		t.Fatal(err)
	}
	capGiB := map[string]float64{}
	for _, h := range spec.Hosts {
		capGiB[h.Name] = h.MemoryGiB
	}
	planned := map[string]balancer.HostLoad{}
	for _, h := range plan.Hosts {
		planned[h.Name] = h
	}
	pre := map[string]web.HostInfo{}
	for _, h := range before.Hosts {
		pre[h.Name] = h
	}
	for _, h := range after.Hosts {
		p, ok := planned[h.Name]
		if !ok || p.In == 0 {
			continue
		}
		cpu := (h.CPU.Mean + h.CPU.P95) / 2
		memLimit := 100 * (1 - approvalReserve/capGiB[h.Name])
		t.Logf("%s (%d in): CPU %.1f%% planned, %.1f%% now (mean %.1f, p95 %.1f; before: mean %.1f, p95 %.1f); memory %.1f%% planned, %.1f%% now, limit %.1f%%",
			h.Name, p.In, p.CPUAfter, cpu, h.CPU.Mean, h.CPU.P95, pre[h.Name].CPU.Mean, pre[h.Name].CPU.P95, p.MemoryAfter, h.Memory.P95, memLimit)
		if cpu > approvalCeiling+approvalCPUTolerance {
			t.Errorf("%s: CPU %.1f%% after the moves, over the %g%% ceiling (planned %.1f%%)", h.Name, cpu, approvalCeiling, p.CPUAfter)
		}
		if h.Memory.P95 > memLimit+approvalMemoryTolerance {
			t.Errorf("%s: memory %.1f%% in use after the moves, over the %.1f%% the %d GiB reserve leaves (planned %.1f%%)", h.Name, h.Memory.P95, memLimit, approvalReserve, p.MemoryAfter)
		}
	}
}
