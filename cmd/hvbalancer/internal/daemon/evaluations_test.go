package daemon

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// A plan's Judge calls count by kind, its requests' share of their budget
// is the gauge, and plans add up.
func TestPlanEvaluationsAreCounted(t *testing.T) {
	m := newDaemonMetrics(prometheus.NewRegistry(), "test")
	m.observePlan(&balancer.Plan{Search: balancer.Search{Judged: 300, RequestJudged: 256}})
	m.observePlan(&balancer.Plan{Search: balancer.Search{Judged: 10}})
	for kind, want := range map[string]float64{"request": 256, "candidate": 54} {
		if got := testutil.ToFloat64(m.evaluations.total.WithLabelValues(kind)); got != want {
			t.Errorf("hvbalancer_policy_evaluations_total{kind=%q} = %g, want %g", kind, got, want)
		}
	}
	if got := testutil.ToFloat64(m.evaluations.budget); got != 0 {
		t.Errorf("budget used after a plan without requests = %g, want 0", got)
	}
	m.observePlan(&balancer.Plan{Search: balancer.Search{Judged: balancer.RequestEvaluationBudget, RequestJudged: balancer.RequestEvaluationBudget}})
	if got := testutil.ToFloat64(m.evaluations.budget); got != 1 {
		t.Errorf("budget used by a plan whose requests spent it = %g, want 1", got)
	}
}
