package daemon

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// evaluationMetrics count the policy evaluations plans spend: the
// candidate moves the planner asked the policy to judge, for the policy's
// own requests (within balancer.RequestEvaluationBudget a plan) and for
// balancing.
type evaluationMetrics struct {
	total  *prometheus.CounterVec
	budget prometheus.Gauge
}

// Kinds of evaluation (the label kind).
const (
	evalRequest   = "request"
	evalCandidate = "candidate"
)

func newEvaluationMetrics(reg prometheus.Registerer) *evaluationMetrics {
	m := &evaluationMetrics{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hvbalancer_policy_evaluations_total",
			Help: "Candidate moves plans asked the policy to judge (its deny and penalty rules), by kind: request (for the policy's own requests) or candidate (balancing).",
		}, []string{"kind"}),
		budget: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hvbalancer_policy_evaluation_budget_used_ratio",
			Help: "Share of the plan's budget of request evaluations (1024) the last plan's requests used, 0 to 1: at 1 some requests were not tried.",
		}),
	}
	m.total.WithLabelValues(evalRequest)
	m.total.WithLabelValues(evalCandidate)
	reg.MustRegister(m.total, m.budget)
	return m
}

// observe counts a plan's evaluations.
func (m *evaluationMetrics) observe(p *balancer.Plan) {
	requests := p.Search.RequestJudged
	m.total.WithLabelValues(evalRequest).Add(float64(requests))
	m.total.WithLabelValues(evalCandidate).Add(float64(max(0, p.Search.Judged-requests)))
	m.budget.Set(float64(requests) / balancer.RequestEvaluationBudget)
}
