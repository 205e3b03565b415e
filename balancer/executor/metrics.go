package executor

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// Results counted by hvbalancer_executor_migrations_total.
const (
	resultSkipped = string(journal.StateSkipped)
	resultUnknown = string(journal.StateUnknown)
)

var results = []string{
	string(journal.StateSucceeded), string(journal.StateFailed), resultSkipped, resultUnknown,
	"reconciled_" + string(journal.StateSucceeded), "reconciled_" + string(journal.StateFailed), "reconciled_" + string(journal.StateSkipped),
}

// execMetrics are the executor's metrics; no per-VM labels.
type execMetrics struct {
	migrations *prometheus.CounterVec
	duration   prometheus.Histogram
	inFlight   prometheus.Gauge
	queue      prometheus.Gauge
	paused     prometheus.Gauge
	// evacuations counts the moves started out of a host in maintenance.
	evacuations prometheus.Counter
}

// newExecMetrics makes the metrics and registers them, with the breaker
// states read from e at each scrape, on reg unless it is nil.
func newExecMetrics(reg prometheus.Registerer, e *Executor) (*execMetrics, error) {
	m := &execMetrics{
		migrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hvbalancer_executor_migrations_total",
			Help: "Moves by result: succeeded, failed, skipped, unknown, and reconciled_* for outcomes learned by locating the VM.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hvbalancer_executor_migration_duration_seconds",
			Help:    "Time each Move-VM call took, whatever its result.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 15),
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hvbalancer_executor_in_flight", Help: "Moves holding slots: validating, comparing, migrating or verifying."}),
		queue:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "hvbalancer_executor_queue_length", Help: "Moves waiting for a slot."}),
		paused:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "hvbalancer_executor_paused", Help: "1 while the executor is paused."}),
		evacuations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hvbalancer_executor_evacuations_started_total",
			Help: "Moves started out of a host in maintenance, under the evacuation rate.",
		}),
	}
	for _, r := range results {
		m.migrations.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	breakers := &breakerCollector{e: e, desc: prometheus.NewDesc(
		"hvbalancer_executor_circuit_breaker_open",
		"1 while a host's circuit breaker is open or half-open (until a move touching it succeeds), 0 when closed.",
		[]string{"host"}, nil,
	)}
	for _, c := range []prometheus.Collector{m.migrations, m.duration, m.inFlight, m.queue, m.paused, m.evacuations, breakers} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// breakerCollector reports every host's breaker as the executor sees it
// at scrape time (a breaker turns half-open by the clock alone).
type breakerCollector struct {
	e    *Executor
	desc *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *breakerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *breakerCollector) Collect(ch chan<- prometheus.Metric) {
	c.e.mu.Lock()
	now := c.e.cfg.Now()
	vals := make(map[string]float64, len(c.e.breakers))
	for h, b := range c.e.breakers {
		if b.state(now, c.e.cfg.BreakerThreshold) != breakerClosed {
			vals[h] = 1
		} else {
			vals[h] = 0
		}
	}
	c.e.mu.Unlock()
	for h, v := range vals {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, h)
	}
}
