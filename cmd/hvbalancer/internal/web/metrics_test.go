package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testRegistry is a registry like the daemon's: its own, not the global one.
func testRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	rounds := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hvbalancer_daemon_rounds_total", Help: "Rounds run, by result.",
	}, []string{"result"})
	inflight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hvbalancer_executor_migrations_in_flight", Help: "Live migrations running now.",
	})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hvbalancer_executor_migration_duration_seconds", Help: "How long live migrations took.",
		Buckets: prometheus.ExponentialBuckets(5, 2, 8),
	})
	reg.MustRegister(rounds, inflight, duration)
	rounds.WithLabelValues("ok").Add(3)
	rounds.WithLabelValues("failed").Inc()
	inflight.Set(2)
	duration.Observe(42)
	return reg
}

func TestMetrics(t *testing.T) {
	reg := testRegistry(t)
	problems, err := testutil.CollectAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	e := newEnv(t, withGatherer(reg))
	r := e.do(t, http.MethodGet, "/metrics", "")
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	for _, want := range []string{
		`hvbalancer_daemon_rounds_total{result="ok"} 3`,
		`hvbalancer_daemon_rounds_total{result="failed"} 1`,
		"hvbalancer_executor_migrations_in_flight 2",
		"hvbalancer_executor_migration_duration_seconds_count 1",
		"# HELP hvbalancer_executor_migration_duration_seconds How long live migrations took.",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, r.body)
		}
	}
	if h := e.do(t, http.MethodHead, "/metrics", ""); h.code != http.StatusOK || h.body != "" {
		t.Errorf("HEAD /metrics: %d %q", h.code, h.body)
	}
}

func TestNoGatherer(t *testing.T) {
	e := newEnv(t, withGatherer(nil))
	if r := e.do(t, http.MethodGet, "/metrics", ""); r.code != http.StatusNotFound {
		t.Errorf("status %d, want 404 without a gatherer", r.code)
	}
}
