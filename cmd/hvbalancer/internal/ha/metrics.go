package ha

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	leader    prometheus.Gauge
	takeovers prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hvbalancer_leader",
			Help: "1 while this daemon leads (collects, plans and executes), 0 while it stands by.",
		}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hvbalancer_leader_takeovers_total",
			Help: "Times this daemon became the leader.",
		}),
	}
	for _, c := range []prometheus.Collector{m.leader, m.takeovers} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("ha metrics: %w", err)
		}
	}
	return m, nil
}
