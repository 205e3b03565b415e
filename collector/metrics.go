package collector

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// labelHost is the only metric label: no per-VM labels.
const labelHost = "host"

// metrics are the collector's Prometheus metrics.
type metrics struct {
	polls    prometheus.Counter
	errors   *prometheus.CounterVec
	quota    *prometheus.CounterVec
	duration prometheus.Histogram
	cpu      *prometheus.GaugeVec
	demand   *prometheus.GaugeVec
	waitGap  *prometheus.GaugeVec
	memory   *prometheus.GaugeVec
	up       *prometheus.GaugeVec
}

// newMetrics makes the metrics and registers them on reg (when not nil).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "hvbalancer", "collector"
	hostGauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help}, []string{labelHost})
	}
	m := &metrics{
		polls: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "polls_total",
			Help: "Polling rounds completed.",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "errors_total",
			Help: "Host polls that failed, by host.",
		}, []string{labelHost}),
		quota: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "shell_quota_errors_total",
			Help: "Host polls refused because the account had used up its WinRM shell quota on the host (MaxShellsPerUser), by host.",
		}, []string{labelHost}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "poll_duration_seconds",
			Help:    "Duration of one polling round over every host.",
			Buckets: []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120},
		}),
		cpu: hostGauge("host_cpu_utilization_ratio",
			"Host CPU use at the last good sample (hypervisor total run time), 0..1."),
		// Demand is set for every host with a sample, the CPU received
		// where nothing wanted more or the wait is unknown, as the
		// planner reads it: a dashboard or an alert on demand then needs
		// no fallback of its own, and the wait-unknown gauge says where
		// the figure is only what was received.
		demand: hostGauge("host_cpu_demand_ratio",
			"Host CPU its VMs wanted at the last good sample, fraction of its logical processors (above 1 when they wanted more than it has); the CPU received where none wanted more or the wait is unknown."),
		waitGap: hostGauge("host_cpu_wait_unknown",
			"1 when the host's last good poll lacked some running VM's CPU wait counter, so its CPU demand counts those VMs at what they received, else 0."),
		memory: hostGauge("host_memory_utilization_ratio",
			"Host memory in use at the last good sample, fraction of capacity 0..1."),
		up: hostGauge("host_up",
			"1 when the host's health is ok in the last snapshot, else 0."),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.polls, m.errors, m.quota, m.duration, m.cpu, m.demand, m.waitGap, m.memory, m.up} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return m, nil
}

// observeHost sets one host's gauges from its snapshot entry.
func (m *metrics) observeHost(h *Host) {
	up := 0.0
	if h.Health == HealthOK {
		up = 1
	}
	m.up.WithLabelValues(h.Name).Set(up)
	m.errors.WithLabelValues(h.Name) // a host that never failed counts 0, not nothing
	m.quota.WithLabelValues(h.Name)
	if h.Samples == 0 {
		m.cpu.DeleteLabelValues(h.Name)
		m.demand.DeleteLabelValues(h.Name)
		m.waitGap.DeleteLabelValues(h.Name)
		m.memory.DeleteLabelValues(h.Name)
		return
	}
	m.cpu.WithLabelValues(h.Name).Set(h.CPU.Last / 100)
	demand := h.CPU.Last
	if h.CPU.Demand != (Demand{}) {
		demand = h.CPU.Demand.Last
	}
	m.demand.WithLabelValues(h.Name).Set(demand / 100)
	gap := 0.0
	if h.CPUWaitUnknown {
		gap = 1
	}
	m.waitGap.WithLabelValues(h.Name).Set(gap)
	m.memory.WithLabelValues(h.Name).Set(h.Memory.Last / 100)
}

// forget drops a removed host's series.
func (m *metrics) forget(host string) {
	m.errors.DeleteLabelValues(host)
	m.quota.DeleteLabelValues(host)
	m.cpu.DeleteLabelValues(host)
	m.demand.DeleteLabelValues(host)
	m.waitGap.DeleteLabelValues(host)
	m.memory.DeleteLabelValues(host)
	m.up.DeleteLabelValues(host)
}
