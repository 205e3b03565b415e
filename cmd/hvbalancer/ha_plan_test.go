package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestTakeoverFinishesAnApprovedPlan approves a plan through the standby
// (which lists the leader's plans: the store is shared), revokes the
// leader's lease while the plan's migrations run one by one, and proves
// that the new leader finishes the plan: done, every move migrated once on
// the simulated fleet's ledger, none repeated, none lost.
func TestTakeoverFinishesAnApprovedPlan(t *testing.T) {
	endpoint := etcdtest.Start(t, 1).Members[0].ClientURL
	spec, err := sim.LoadFleet("../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveFleet(t, spec)
	key := filepath.Join(t.TempDir(), "plan-signing.key") // the daemons of one fleet sign with one key
	ds := startHADaemons(t, srv, spec, 2, endpoint, "manual", 2*time.Second, fmt.Sprintf(`signing: {key_file: %s}
planner: {max_moves: 10, cooldown: 1h}
executor: {max_concurrent: 1, migrations_per_minute: 15, burst: 1, drain_timeout: 30s}
`, key))
	leader := awaitLeader(t, ds, nil)
	standby := ds[0]
	if standby == leader {
		standby = ds[1]
	}
	info := approveNewest(t, standby.runningDaemon, "ops", func(p web.PlanInfo) bool { return p.Moves >= 3 })
	var plan balancer.Plan
	getJSON(t, standby.url+"/api/v1/plans/"+info.ID, &plan)
	vms := map[string]balancer.Move{}
	for _, m := range plan.Moves {
		vms[m.VM] = m
	}
	migrated := func() (started, completed int) {
		for _, e := range srv.Fleet().Ledger() {
			if _, ok := vms[e.VMID]; ok {
				started++
				if e.Outcome == "completed" {
					completed++
				}
			}
		}
		return started, completed
	}
	eventually(t, "the plan's first migration", func() bool { n, _ := migrated(); return n >= 1 })

	admin, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	began := time.Now()
	startedBefore, _ := migrated()
	revokeLeader(t, admin)
	next := awaitLeader(t, ds, leader)
	t.Logf("%s leads %s after %s's lease was revoked, %d of the plan's %d moves started", next.name, time.Since(began).Round(time.Millisecond), leader.name, startedBefore, len(plan.Moves))
	if startedBefore == len(plan.Moves) {
		t.Fatal("every move had started before the takeover: the test proves nothing; slow the executor down")
	}

	var final web.PlanInfo
	eventually(t, "the plan done under the new leader", func() bool {
		var plans web.Plans
		getJSON(t, next.url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans {
			if p.ID == info.ID {
				final = p
				return p.State.Final()
			}
		}
		return false
	})
	if final.State != web.PlanDone {
		t.Errorf("plan %s ended %s (%s), want done", final.ID, final.State, final.Message)
	}
	started, completed := migrated()
	if started != len(plan.Moves) || completed != len(plan.Moves) {
		t.Errorf("the plan's %d moves: %d migrations started, %d completed on the fleet; want each exactly once", len(plan.Moves), started, completed)
	}
	t.Logf("plan %s: %d moves, %d started before the takeover, done %s after it", info.ID, len(plan.Moves), startedBefore, time.Since(began).Round(time.Millisecond))
	if code := post(t, next.url+"/api/v1/plans/"+info.ID+"/approve", testToken, map[string]string{"by": "ops"}); code != http.StatusConflict {
		t.Errorf("approving the ended plan again: %d, want 409", code)
	}
}
