package daemon

import (
	"errors"
	"runtime"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/policy"
)

// daemonMetrics are the daemon's own metrics; the collector and the
// executor register theirs.
type daemonMetrics struct {
	rounds        *prometheus.CounterVec
	planSeconds   prometheus.Histogram
	policySeconds prometheus.Histogram
	planMoves     prometheus.Gauge
	spread        *prometheus.GaugeVec
	awaiting      prometheus.Gauge
	policyErrors  *prometheus.CounterVec
	evaluations   *evaluationMetrics
	// balance is the newest plan's balance, which the status shows beside
	// the spread gauges; nil before the first plan.
	balance atomic.Pointer[web.Balance]
}

func newDaemonMetrics(reg prometheus.Registerer, version string) *daemonMetrics {
	m := &daemonMetrics{
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hvbalancer_daemon_rounds_total",
			Help: "Rounds (collect, plan, act) by result: planned, balanced, not known, no move, unchanged, busy, waiting, failed, abandoned (over round_deadline), no snapshot, too few hosts.",
		}, []string{"result"}),
		planSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hvbalancer_planner_duration_seconds",
			Help:    "Time to evaluate the policy and plan one round.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		policySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hvbalancer_policy_evaluation_duration_seconds",
			Help:    "Time to evaluate the policy's round-wide rules (config, requests, frozen) against a snapshot.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		planMoves: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hvbalancer_planner_plan_moves",
			Help: "Moves in the last plan.",
		}),
		spread: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hvbalancer_cluster_spread_ratio",
			Help: "Spread (standard deviation) of host load across eligible hosts, as a ratio, by resource, at the last round.",
		}, []string{"resource"}),
		awaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hvbalancer_plans_awaiting_approval",
			Help: "Plans with moves waiting for approval (state pending).",
		}),
		policyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hvbalancer_policy_errors_total",
			Help: "Policy rules that failed at run time: rule=\"candidate\" counts the candidate moves whose deny or penalty rule failed (each was vetoed); config, requests and frozen count the rounds they failed (no plan was made).",
		}, []string{"rule"}),
		evaluations: newEvaluationMetrics(reg),
	}
	for _, r := range []string{"candidate", "config", "requests", "frozen"} {
		m.policyErrors.WithLabelValues(r)
	}
	for _, r := range roundResults { // every result has a series from the start
		m.rounds.WithLabelValues(string(r))
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "hvbalancer_build_info",
		Help:        "Build information; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	reg.MustRegister(m.rounds, m.planSeconds, m.policySeconds, m.planMoves, m.spread, m.awaiting, m.policyErrors, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observePolicyError counts a round that failed because a policy rule
// failed; other errors are not the policy's.
func (m *daemonMetrics) observePolicyError(err error) {
	if re, ok := errors.AsType[*policy.RuleError](err); ok {
		m.policyErrors.WithLabelValues(re.Rule).Inc()
	}
}

func (m *daemonMetrics) observePlan(p *balancer.Plan) {
	m.policyErrors.WithLabelValues("candidate").Add(float64(p.PolicyErrors))
	m.planMoves.Set(float64(len(p.Moves)))
	m.evaluations.observe(p)
	m.spread.WithLabelValues("cpu").Set(p.Efficacy.CPU.SpreadBefore / 100)
	m.spread.WithLabelValues("memory").Set(p.Efficacy.Memory.SpreadBefore / 100)
	m.balance.Store(balanceOf(p))
}
