package main

import (
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// The policy evaluations plans spend reach /metrics over HTTP: the demo
// fleet, planned with the shipped policy, counts candidates judged, and
// the budget gauge is there.
func TestPolicyEvaluationsOnMetrics(t *testing.T) {
	d := startDaemon(t, daemonConfig(t, "manual"))
	url := d.url + "/metrics"
	if n := metricValue(t, url, "hvbalancer_policy_evaluations_total", "kind", "request"); n < 0 {
		t.Fatalf("no hvbalancer_policy_evaluations_total{kind=\"request\"} series before the first plan")
	}
	var plans web.Plans
	eventually(t, "a plan and its candidates counted", func() bool {
		getJSON(t, d.url+"/api/v1/plans", &plans)
		return len(plans.Plans) > 0 && metricValue(t, url, "hvbalancer_policy_evaluations_total", "kind", "candidate") > 0
	})
	const gauge = "hvbalancer_policy_evaluation_budget_used_ratio"
	if _, body := get(t, url); !strings.Contains(body, "\n"+gauge+" ") {
		t.Errorf("/metrics has no %s", gauge)
	}
	if r := metricSum(t, d.url, gauge); r < 0 || r > 1 {
		t.Errorf("%s = %g, want 0 to 1", gauge, r)
	}
}
