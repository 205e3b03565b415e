//go:build !windows

package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestHALeaderLostMidPlan runs four daemon processes against a
// three-member etcd cluster and one simulated fleet served over WinRM,
// and loses the leading process three times while a plan approved
// through a standby runs: killed (SIGKILL: no resignation, its lease left
// to run out) while one of the plan's migrations runs on the fleet, killed
// when the next plan is half done, and cut off every etcd member (its
// WinRM access intact) when the third is half done. Each time a standby
// leads once the lease has run out, and the plan ends done under it: on
// the fleet's ledger every move of the plan migrated exactly once, the
// fleet ran every journaled start once and nothing else (a migration the
// partitioned leader started unfenced would be one the journal does not
// know), and no host ran more migrations at once than its limit. The
// partitioned daemon stands down. The takeover times are logged (the
// issue's bound is the TTL, 5s here, plus a round, 2s).
func TestHALeaderLostMidPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the daemon and runs four processes through three takeovers")
	}
	// Its own processes, directories and ports: it waits on real time
	// rather than the CPU, so it runs beside the others of its kind.
	t.Parallel()
	bin := buildDaemon(t)
	cluster := etcdtest.Start(t, 3)
	spec, err := sim.LoadFleet("../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveFleet(t, spec)
	key := filepath.Join(t.TempDir(), "plan-signing.key") // the daemons of one fleet sign with one key
	const round = 2 * time.Second
	ps := startHAProcesses(t, bin, srv, spec, 4, cluster.Endpoints(), "manual", round, fmt.Sprintf(`signing: {key_file: %s}
planner: {max_moves: 10, cooldown: 1h}
executor: {max_concurrent: 1, migrations_per_minute: 20, burst: 1, drain_timeout: 30s}
`, key))
	began := time.Now()
	kill := func(p *haProcess) { p.kill(t) }
	halfDone := func(started, running, completed, moves int) bool {
		return completed >= (moves+1)/2 && running == 0 && started < moves
	}

	first := loseLeaderMidPlan(t, srv, ps, "killed while a migration of the plan runs on the fleet", kill, func(started, running, completed, moves int) bool {
		return running > 0 && started < moves
	})
	ps = without(ps, first.lost)
	second := loseLeaderMidPlan(t, srv, ps, "killed with the plan half done", kill, halfDone)
	ps = without(ps, second.lost)
	third := loseLeaderMidPlan(t, srv, ps, "cut off etcd with the plan half done", (*haProcess).partition, halfDone)
	eventually(t, third.lost.name+" stands down without etcd", func() bool { return !haStatus(t, third.lost.haDaemon).HA.Leading })
	t.Logf("takeovers: %s after a SIGKILL while a migration ran, %s after a SIGKILL with the plan half done, %s after a partition (session TTL 5s, round %s); the test took %s",
		first.took, second.took, third.took, round, time.Since(began).Round(time.Second))
}

// takeover is what loseLeaderMidPlan saw.
type takeover struct {
	lost *haProcess
	took time.Duration // from the loss to a standby leading, named by every daemon left
}

// loseLeaderMidPlan approves through a standby of ps a pending plan of
// three moves or more, loses the leading process once the plan's
// migrations on the fleet satisfy when, waits for one of the others to
// lead, and checks that the plan ends done with each of its moves
// migrated exactly once and the fleet's limits kept.
func loseLeaderMidPlan(t *testing.T, srv *sim.Server, ps []*haProcess, what string, lose func(*haProcess), when func(started, running, completed, moves int) bool) takeover {
	t.Helper()
	leader := processOf(ps, awaitLeader(t, daemons(ps), nil))
	standby := without(ps, leader)[0]
	info := approveNewest(t, standby.runningDaemon, "ops", func(p web.PlanInfo) bool { return p.Moves >= 3 })
	var plan balancer.Plan
	getJSON(t, standby.url+"/api/v1/plans/"+info.ID, &plan)

	// The fleet's ledger is read in this process: a migration of a few
	// hundred milliseconds is seen running.
	deadline := patience(t)
	for {
		started, running, completed := planMigrations(srv, &plan)
		if when(started, running, completed, len(plan.Moves)) {
			break
		}
		if completed == len(plan.Moves) || time.Now().After(deadline) {
			t.Fatalf("never happened: the leader %s (plan %s of %d moves: %d begun, %d completed)", what, plan.ID, len(plan.Moves), started, completed)
		}
		time.Sleep(10 * time.Millisecond)
	}
	lose(leader)
	lost := time.Now()
	started, running, completed := planMigrations(srv, &plan)
	others := daemons(without(ps, leader))
	next := awaitLeader(t, others, nil)
	took := time.Since(lost)
	t.Logf("%s %s: %d of plan %s's %d moves begun on the fleet, %d running, %d completed; %s leads %s later",
		leader.name, what, started, plan.ID, len(plan.Moves), running, completed, next.name, took.Round(time.Millisecond))
	if started == len(plan.Moves) && running == 0 {
		t.Fatal("every move had ended when the leader was lost: the test proves nothing; slow the executor down")
	}

	final := awaitPlanEnd(t, next, plan.ID)
	if final.State != web.PlanDone {
		t.Errorf("plan %s ended %s %v (%s), want done", plan.ID, final.State, final.Outcomes, final.Message)
	}
	for _, d := range others { // the store is shared: every daemon says the same
		if got := awaitPlanEnd(t, d, plan.ID); got.State != final.State {
			t.Errorf("%s lists plan %s %s, %s lists it %s", d.name, plan.ID, got.State, next.name, final.State)
		}
	}
	checkFleetAfterTakeover(t, srv, next, &plan)
	if code := post(t, others[len(others)-1].url+"/api/v1/plans/"+plan.ID+"/approve", testToken, map[string]string{"by": "ops"}); code != http.StatusConflict {
		t.Errorf("approving the ended plan %s again: %d, want 409", plan.ID, code)
	}
	return takeover{lost: leader, took: took.Round(time.Millisecond)}
}
