package daemon

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/policy"
)

// TestPolicyErrorsAreCounted: a config rule that fails at run time (real
// Rego, strict built-ins) fails the round and counts under its rule; the
// candidates a plan's deny or penalty rules failed for count as such; an
// error that is not the policy's counts nothing.
func TestPolicyErrorsAreCounted(t *testing.T) {
	engine := ruleEngine(t, "config.rego", "package hvbalancer\n\nconfig := {\"max_moves\": 10 / (count(input.fleet.hosts) - count(input.fleet.hosts))}\n")
	snap := collectortest.Snapshot(collectortest.HostSpec{Name: "HV01"}, collectortest.HostSpec{Name: "HV02"})
	_, err := engine.Begin(context.Background(), balancer.PolicyInput(snap, policy.History{}, nil))
	if err == nil {
		t.Fatal("a config rule that divides by zero began a session")
	}
	m := newDaemonMetrics(prometheus.NewRegistry(), "test")
	m.observePolicyError(err)
	m.observePolicyError(context.DeadlineExceeded) // not the policy's
	m.observePlan(&balancer.Plan{PolicyErrors: 3})
	for rule, want := range map[string]float64{"config": 1, "candidate": 3, "requests": 0, "frozen": 0} {
		if got := testutil.ToFloat64(m.policyErrors.WithLabelValues(rule)); got != want {
			t.Errorf("hvbalancer_policy_errors_total{rule=%q} = %g, want %g", rule, got, want)
		}
	}
}
