package collector_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

func TestMetrics(t *testing.T) {
	good := collectortest.NewSource(hostInfo("HV01", 32, 256))
	good.SetCounters(counters(40, 64, nil)) // 75 % of 256 GiB in use
	bad := collectortest.NewSource(hostInfo("HV02", 32, 256))
	bad.Fail(fmt.Errorf("wsman: %w: the maximum number of concurrent shells for this user has been exceeded", hyperv.ErrShellQuota))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Source: good}, collector.Target{Name: "HV02", Source: bad})
	f.poll(time.Minute)
	f.poll(time.Minute)

	problems, err := testutil.CollectAndLint(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}

	const want = `
# HELP hvbalancer_collector_errors_total Host polls that failed, by host.
# TYPE hvbalancer_collector_errors_total counter
hvbalancer_collector_errors_total{host="HV01"} 0
hvbalancer_collector_errors_total{host="HV02"} 2
# HELP hvbalancer_collector_host_cpu_utilization_ratio Host CPU use at the last good sample (hypervisor total run time), 0..1.
# TYPE hvbalancer_collector_host_cpu_utilization_ratio gauge
hvbalancer_collector_host_cpu_utilization_ratio{host="HV01"} 0.4
# HELP hvbalancer_collector_host_memory_utilization_ratio Host memory in use at the last good sample, fraction of capacity 0..1.
# TYPE hvbalancer_collector_host_memory_utilization_ratio gauge
hvbalancer_collector_host_memory_utilization_ratio{host="HV01"} 0.75
# HELP hvbalancer_collector_host_up 1 when the host's health is ok in the last snapshot, else 0.
# TYPE hvbalancer_collector_host_up gauge
hvbalancer_collector_host_up{host="HV01"} 1
hvbalancer_collector_host_up{host="HV02"} 0
# HELP hvbalancer_collector_polls_total Polling rounds completed.
# TYPE hvbalancer_collector_polls_total counter
hvbalancer_collector_polls_total 2
# HELP hvbalancer_collector_shell_quota_errors_total Host polls refused because the account had used up its WinRM shell quota on the host (MaxShellsPerUser), by host.
# TYPE hvbalancer_collector_shell_quota_errors_total counter
hvbalancer_collector_shell_quota_errors_total{host="HV01"} 0
hvbalancer_collector_shell_quota_errors_total{host="HV02"} 2
`
	names := []string{
		"hvbalancer_collector_errors_total",
		"hvbalancer_collector_host_cpu_utilization_ratio",
		"hvbalancer_collector_host_memory_utilization_ratio",
		"hvbalancer_collector_host_up",
		"hvbalancer_collector_polls_total",
		"hvbalancer_collector_shell_quota_errors_total",
	}
	if err := testutil.GatherAndCompare(f.reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var observed uint64
	for _, mf := range mfs {
		if mf.GetName() == "hvbalancer_collector_poll_duration_seconds" {
			observed = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	if observed != 2 {
		t.Errorf("poll duration observed %d times, want 2", observed)
	}

	// A host removed by a reload leaves no series behind.
	if err := f.c.SetTargets([]collector.Target{{Name: "HV01", Source: good}}); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(f.reg, "hvbalancer_collector_host_up"); n != 1 {
		t.Errorf("%d host_up series after HV02 was removed, want 1", n)
	}
}

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	targets := []collector.Target{{Name: "HV01", Source: collectortest.NewSource(hostInfo("HV01", 8, 64))}}
	if _, err := collector.New(targets, collector.Config{}, nil, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := collector.New(targets, collector.Config{}, nil, reg); err == nil || !strings.HasPrefix(err.Error(), "new collector: register metrics: ") {
		t.Errorf("second collector on one registry: %v, want a registration error", err)
	}
}
