package balancer_test

import (
	"context"
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// TestPlanJudgedAhead plans fleets large enough for the search to judge
// candidates side by side, under the shipped policy, on one core and on
// several: the plans are the same, byte for byte, and judge the same
// candidates.
func TestPlanJudgedAhead(t *testing.T) {
	e, err := policy.Load(policy.Options{Dir: shippedPolicy})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := func(s *collector.Snapshot, procs int) (string, int) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		session, err := e.Begin(context.Background(), balancer.PolicyInput(s, policy.History{}, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		p, err := pl.Plan(context.Background(), s, session, e.Digest(), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), p.Search.Judged
	}
	for name, s := range map[string]*collector.Snapshot{
		"dense": withStorage(roleFleet(16, 2000, 2, 160, 1.6)),
		"mixed": withStorage(mixedFleet(16, 2000, 2)),
	} {
		t.Run(name, func(t *testing.T) {
			one, judged := plan(s, 1)
			if judged < 20 {
				t.Fatalf("the plan judged %d candidates: too few to judge side by side", judged)
			}
			for _, procs := range []int{2, 4} {
				got, n := plan(s, procs)
				if n != judged {
					t.Errorf("GOMAXPROCS %d: judged %d, want %d as on one core", procs, n, judged)
				}
				if diff := cmp.Diff(one, got); diff != "" {
					t.Errorf("GOMAXPROCS %d: the plan differs from one core's (-one +%d):\n%s", procs, procs, diff)
				}
			}
		})
	}
}
