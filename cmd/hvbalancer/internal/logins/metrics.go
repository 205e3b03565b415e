package logins

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the guard's Prometheus metrics; they belong to the
// collector's subsystem, whose polls make most of the logins.
type metrics struct {
	authFailures *prometheus.CounterVec
	stopped      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hvbalancer", Subsystem: "collector", Name: "auth_failures_total",
			Help: "Failed logins (HTTP 401) to a host, by any call of the daemon: polls, re-checks and migrations.",
		}, []string{"host"}),
		stopped: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "hvbalancer", Subsystem: "collector", Name: "credentials_blocked",
			Help: "Credentials no longer used on any host after failed logins in a row, until their secret or configuration changes.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.authFailures, m.stopped} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return m, nil
}

func (m *metrics) setStopped(n int) { m.stopped.Set(float64(n)) }

func (m *metrics) forget(host string) { m.authFailures.DeleteLabelValues(host) }
