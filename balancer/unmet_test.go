package balancer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/policy"
)

// When every host already holds VMs of an anti-affinity role, the shipped
// policy's anti-affinity requests cannot be met anywhere: the plan says so
// once, with a count, does not judge each of them at every destination,
// and still balances.
func TestUnmetRequestsAreCountedAndBalancingRuns(t *testing.T) {
	const hosts, perHost = 16, 4
	s := roleFleet(hosts, 640, 2, hosts*perHost, 1)
	e := loadShipped(t)
	ctx := context.Background()
	session, err := e.Begin(ctx, balancer.PolicyInput(s, policy.History{}, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	requests := 0
	for _, r := range session.Requests() {
		if r.Kind == "anti-affinity role=sql" {
			requests++
		}
	}
	if requests < hosts*(perHost-1)*9/10 { // a few sql VMs are off or frozen
		t.Fatalf("the shipped policy asks for %d anti-affinity moves, want about %d", requests, hosts*(perHost-1))
	}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(ctx, s, session, e.Digest(), nil)
	if err != nil {
		t.Fatal(err)
	}

	balancing := 0
	for _, m := range p.Moves {
		switch m.Trigger {
		case balancer.TriggerBalance:
			balancing++
		case balancer.TriggerRequest:
			t.Errorf("planned request move %s to %s; every host holds a sql VM", m.VMName, m.To)
		}
	}
	if balancing == 0 {
		t.Errorf("no balancing move: %s", p.Message)
	}

	var unmet []balancer.UnmetRequests
	for _, u := range p.Unmet {
		if u.Kind == "anti-affinity role=sql" {
			unmet = append(unmet, u)
		}
	}
	total := 0
	for _, u := range unmet {
		total += u.Count
	}
	if total != requests {
		t.Errorf("unmet anti-affinity requests %v, want %d in all", unmet, requests)
	}
	if len(unmet) == 0 || unmet[0].Why != "the policy denied every destination" {
		t.Errorf("unmet = %v, want the policy's denial first", unmet)
	}
	for _, u := range unmet {
		if want := " anti-affinity role=sql requests could not be met: "; !strings.Contains(u.String(), want) {
			t.Errorf("summary %q, want it to contain %q", u, want)
		}
	}
	// One rejection says why per kind and reason, not one per request.
	refused := 0
	for _, r := range p.Rejected {
		if r.Trigger == balancer.TriggerRequest && len(r.Messages) == 1 && strings.HasPrefix(r.Messages[0], "requested (") {
			refused++
		}
	}
	if refused != len(unmet) {
		t.Errorf("%d request refusals among the rejections, want %d (one per summary line)", refused, len(unmet))
	}
	// The requests were not judged destination by destination.
	if limit := 4 * (hosts - 1); p.Search.Judged >= requests*(hosts-1) || session.Evaluations() > limit+p.Search.Steps*256 {
		t.Errorf("judged %d candidates (%d evaluations) for %d requests on %d hosts", p.Search.Judged, session.Evaluations(), requests, hosts)
	}
}
