package balancer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
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
	// The requests were not judged destination by destination (that
	// takes about 600 Judge calls here). Balancing's own Judge calls are
	// not theirs: they grow with the balancing moves the plan makes.
	if p.Search.RequestJudged > requests*(hosts-1)/4 {
		t.Errorf("judged %d candidates for %d requests on %d hosts", p.Search.RequestJudged, requests, hosts)
	}
}

// The requests of a kind the policy denied everywhere are not tried again,
// except for a VM smaller than each of them; requests of other kinds are
// tried as usual; all requests share a budget of policy evaluations.
func TestUnmetRequestCuts(t *testing.T) {
	bigFirst := func() *collector.Snapshot {
		var vms []collector.VM
		for _, id := range ids("big", 4) {
			vms = append(vms, newVM(id, "hv01", 2, 32))
		}
		vms = append(vms, newVM("small", "hv01", 1, 2))
		var hosts []collector.Host
		for _, name := range []string{"hv01", "hv02", "hv03", "hv04"} {
			hosts = append(hosts, newHost(name, 32, 256))
		}
		return fleet(hosts, vms)
	}
	evacuate := func(kind string, vms ...string) []policy.Request {
		var out []policy.Request
		for _, id := range vms {
			out = append(out, policy.Request{VM: id, Reason: "evacuate " + id, Priority: 100, Kind: kind})
		}
		return out
	}
	bySize := func(s *collector.Snapshot) func(m policy.Move, _ policy.Projected) []string {
		return func(m policy.Move, _ policy.Projected) []string {
			for _, v := range s.VMs {
				if v.ID == m.VM && v.MemoryAssigned >= 16*gib {
					return []string{m.VM + " is too big for " + m.To}
				}
			}
			return nil
		}
	}
	requestsOnly := balancer.DefaultConfig()
	requestsOnly.Aggressiveness = 1 // so that every Judge call is a request's
	t.Run("a smaller vm is still tried", func(t *testing.T) {
		s := bigFirst()
		f := &fakeRules{requests: evacuate("maintenance", "big01", "big02", "big03", "big04", "small"), deny: bySize(s)}
		p := plan(t, requestsOnly, s, f)
		if len(p.Moves) == 0 || p.Moves[0].VM != "small" || p.Moves[0].Trigger != balancer.TriggerRequest {
			t.Errorf("moves %v, want the small vm moved first", p.Moves)
		}
		want := []balancer.UnmetRequests{
			{Kind: "maintenance", Count: 3, Why: "the policy denied every destination", Example: "evacuate big01"},
			{Kind: "maintenance", Count: 1, Why: "not tried: the policy denied every destination to the requests of this kind before it", Example: "evacuate big04"},
		}
		if diff := cmp.Diff(want, p.Unmet); diff != "" {
			t.Errorf("unmet (-want +got):\n%s", diff)
		}
		for _, m := range f.judged {
			if m.VM == "big04" {
				t.Errorf("judged %v after three requests of its kind were denied everywhere", m)
			}
		}
	})
	t.Run("other kinds are tried", func(t *testing.T) {
		s := bigFirst()
		reqs := append(evacuate("maintenance", "big01", "big02", "big03"), evacuate("pin", "big04")...)
		f := &fakeRules{requests: reqs, deny: bySize(s)}
		plan(t, requestsOnly, s, f)
		judged := 0
		for _, m := range f.judged {
			if m.VM == "big04" {
				judged++
			}
		}
		if judged != 3 {
			t.Errorf("big04 judged at %d destinations, want 3", judged)
		}
	})
	t.Run("budget", func(t *testing.T) {
		var hosts []collector.Host
		for i := range 40 {
			hosts = append(hosts, newHost(fmt.Sprintf("hv%02d", i), 32, 256))
		}
		var vms []collector.VM
		var reqs []policy.Request
		for i, id := range ids("vm", 60) {
			vms = append(vms, newVM(id, "hv00", 0.1, 2))
			reqs = append(reqs, evacuate(fmt.Sprintf("kind %d", i), id)...) // no cut: each its own kind
		}
		f := &fakeRules{requests: reqs, deny: func(m policy.Move, _ policy.Projected) []string { return []string{"no"} }}
		p := plan(t, balancer.DefaultConfig(), fleet(hosts, vms), f)
		if p.Search.RequestJudged != 1024 || p.Search.Judged > 1024+256*(p.Search.Steps+1) {
			t.Errorf("judged %d candidates, %d for requests; want 1024 for requests", p.Search.Judged, p.Search.RequestJudged)
		}
		met, budget := 0, 0
		for _, u := range p.Unmet {
			met += u.Count
			if strings.HasPrefix(u.Why, "not tried: the plan's requests used their 1024 policy evaluations") {
				budget += u.Count
			}
		}
		if met != 60 || budget == 0 {
			t.Errorf("unmet %v, want 60 with some left to the budget", p.Unmet)
		}
	})
}

// plan plans s under rules with cfg.
func plan(t *testing.T, cfg balancer.Config, s *collector.Snapshot, rules balancer.Rules) *balancer.Plan {
	t.Helper()
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, rules, "sha256:test", nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// While a host is hot, requests that are not evacuations leave the plan's
// last quarter of max_moves to balancing; evacuations may use them all.
func TestRequestsLeaveMovesToBalancing(t *testing.T) {
	build := func(opts ...hostOpt) *collector.Snapshot {
		hosts := []collector.Host{newHost("hv01", 16, 256), newHost("hv02", 16, 256), newHost("hv03", 16, 256), newHost("hv04", 16, 256, opts...)}
		var vms []collector.VM
		for _, id := range ids("hot", 8) {
			vms = append(vms, newVM(id, "hv01", 1.8, 8)) // hv01 at 90 %
		}
		for _, id := range ids("req", 8) {
			vms = append(vms, newVM(id, "hv04", 0.2, 4))
		}
		return fleet(hosts, vms)
	}
	var reqs []policy.Request
	for _, id := range ids("req", 8) {
		reqs = append(reqs, policy.Request{VM: id, To: "hv03", Reason: "to hv03", Priority: 50, Kind: "pin"})
	}
	cfg := balancer.DefaultConfig()
	cfg.MaxMoves = 8
	cfg.MaxInflowPerHost = 8
	count := func(p *balancer.Plan) (requests, balancing int) {
		for _, m := range p.Moves {
			if m.Trigger == balancer.TriggerRequest {
				requests++
			} else {
				balancing++
			}
		}
		return
	}
	p := plan(t, cfg, build(), &fakeRules{requests: reqs})
	if req, bal := count(p); req != 6 || bal == 0 {
		t.Errorf("%d request and %d balancing moves, want 6 and some: %s", req, bal, p.Message)
	}
	want := []balancer.UnmetRequests{{Kind: "pin", Count: 2, Why: "the plan keeps its last moves for balancing while a host is hot", Example: "to hv03"}}
	if diff := cmp.Diff(want, p.Unmet); diff != "" {
		t.Errorf("unmet (-want +got):\n%s", diff)
	}

	p = plan(t, cfg, build(maintenance()), &fakeRules{requests: reqs}) // evacuations
	if req, _ := count(p); req != 8 {
		t.Errorf("%d evacuations, want 8; unmet %v", req, p.Unmet)
	}
}
