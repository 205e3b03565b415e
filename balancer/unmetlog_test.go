package balancer_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// TestUnmetRequestsAreLoggedOnce: a request no plan can meet is logged at
// info by the first plan that meets it unmet, not by every plan after it;
// a change in what is unmet is logged again.
func TestUnmetRequestsAreLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	var hosts []collector.Host
	for _, name := range []string{"hv01", "hv02", "hv03"} {
		hosts = append(hosts, newHost(name, 32, 256))
	}
	s := fleet(hosts, []collector.VM{newVM("db1", "hv01", 2, 8), newVM("db2", "hv01", 2, 8)})
	denyAll := func(m policy.Move, _ policy.Projected) []string { return []string{"pinned"} }
	request := func(vms ...string) *fakeRules {
		var reqs []policy.Request
		for _, id := range vms {
			reqs = append(reqs, policy.Request{VM: id, Reason: "split " + id, Priority: 50, Kind: "anti-affinity role=sql"})
		}
		return &fakeRules{requests: reqs, deny: denyAll}
	}
	for _, rules := range []*fakeRules{request("db1"), request("db1"), request("db1"), request("db1", "db2"), request("db1", "db2")} {
		if _, err := pl.Plan(context.Background(), s, rules, "sha256:test", nil); err != nil {
			t.Fatal(err)
		}
	}
	// Said at the first plan (1 unmet) and when it became 2; not the three
	// plans that repeated what was said.
	if n := strings.Count(logs.String(), "policy requests not met"); n != 2 {
		t.Errorf("logged %d times at info over 5 plans, want 2:\n%s", n, logs.String())
	}
}
