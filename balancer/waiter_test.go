package balancer_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// startFleet is a small fleet with a hot host, for planning with a
// session from policy.Engine.Start.
func startFleet() *collector.Snapshot {
	var vms []collector.VM
	for _, id := range ids("a", 6) {
		vms = append(vms, newVM(id, "hv01", 5, 16))
	}
	vms = append(vms, newVM("b01", "hv02", 1, 16), newVM("c01", "hv03", 1, 16))
	return fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256)}, vms)
}

// TestPlanWaitsForStartedRequests: a session from Start plans what a
// session from Begin plans, requests included, byte for byte.
func TestPlanWaitsForStartedRequests(t *testing.T) {
	e := loadRego(t, `package hvbalancer

requests contains {"vm": "b01", "to": "hv03", "reason": "keep b with c", "priority": 50}
`)
	s := startFleet()
	in := balancer.PolicyInput(s, policy.History{}, time.UTC)
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var plans [2][]byte
	for i, begin := range []func(context.Context, *policy.Input) (*policy.Session, error){e.Begin, e.Start} {
		session, err := begin(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		p, err := pl.Plan(ctx, s, session, e.Digest(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Moves) == 0 || p.Moves[0].VM != "b01" || p.Moves[0].Trigger != balancer.TriggerRequest {
			t.Fatalf("moves %+v, want the request's move of b01 first", p.Moves)
		}
		if plans[i], err = json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	}
	if string(plans[0]) != string(plans[1]) {
		t.Errorf("the plans differ:\nBegin %s\nStart %s", plans[0], plans[1])
	}
}

// TestPlanFailsWithStartedRequests: a requests rule that fails at run time
// in a session from Start fails the plan with the *RuleError that Begin
// fails with, rather than the plan going on without the requests.
func TestPlanFailsWithStartedRequests(t *testing.T) {
	e := loadRego(t, `package hvbalancer

requests contains {"vm": "b01", "reason": "even out", "priority": 10 / (count(input.fleet.hosts) - 3)}
`)
	s := startFleet()
	in := balancer.PolicyInput(s, policy.History{}, time.UTC)
	ctx := context.Background()
	_, beginErr := e.Begin(ctx, in)
	if beginErr == nil {
		t.Fatal("Begin succeeded: the rule does not fail")
	}
	session, err := e.Start(ctx, in)
	if err != nil {
		t.Fatalf("Start: %v, want the failure left to the plan", err)
	}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(ctx, s, session, e.Digest(), nil)
	var re *policy.RuleError
	if !errors.As(err, &re) || re.Rule != "requests" {
		t.Fatalf("Plan = %v, %v; want a *RuleError of requests", p, err)
	}
	if want := "plan: " + beginErr.Error(); err.Error() != want {
		t.Errorf("Plan error %q\nwant %q", err, want)
	}
}
