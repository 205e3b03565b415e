package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/policy"
)

// TestEvacuatingWaitsForStartedRequests: a round's session is started, so
// its requests may fail after the planner took the rules; through the
// round's evacuation wrapper the plan still fails with the requests
// rule's error rather than planning without them.
func TestEvacuatingWaitsForStartedRequests(t *testing.T) {
	engine := ruleEngine(t, "requests.rego", "package hvbalancer\n\nrequests contains {\"vm\": \"vm1\", \"reason\": \"x\", \"priority\": 10 / (count(input.fleet.hosts) - 3)}\n")
	snap := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", Maintenance: true, VMs: []collectortest.VMSpec{{ID: "vm1", CPU: 2, MemoryGiB: 8}}},
		collectortest.HostSpec{Name: "HV02"}, collectortest.HostSpec{Name: "HV03"})
	ctx := context.Background()
	session, err := engine.Start(ctx, balancer.PolicyInput(snap, policy.History{}, nil))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	wrapped := evacuationRules(session, balancer.DefaultConfig(), snap, false)
	if _, ok := wrapped.(evacuating); !ok {
		t.Fatal("the round's rules are not wrapped: the case proves nothing")
	}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(ctx, snap, wrapped, engine.Digest(), nil)
	var re *policy.RuleError
	if !errors.As(err, &re) || re.Rule != "requests" {
		t.Fatalf("Plan = %v, %v; want the requests rule's *RuleError", p, err)
	}
}

// ruleEngine loads a policy of one file, name, holding src.
func ruleEngine(t *testing.T, name, src string) *policy.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	engine, err := policy.Load(policy.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return engine
}
