package collector_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// TestDemandMetricsOverHTTP scrapes /metrics of a collector that read a
// saturated host over real WinRM: the host's demand gauge reads what its
// VMs wanted, above 1, where the received gauge reads 1; a quiet host's
// demand is what it received; and the wait is known on both.
func TestDemandMetricsOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	_, _, targets := serveSpec(t, saturatedFleetSpec(t), 1, 20*time.Second)
	reg := prometheus.NewRegistry()
	col, err := collector.New(targets, collector.Config{}, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	var s *collector.Snapshot
	for range 2 {
		if s, err = col.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	problems, err := testutil.CollectAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	value := func(metric, host string) float64 {
		t.Helper()
		prefix := metric + `{host="` + host + `"} `
		for line := range strings.SplitSeq(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, prefix); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				return f
			}
		}
		t.Fatalf("/metrics has no %s for %s:\n%s", metric, host, body)
		return 0
	}
	const (
		received = "hvbalancer_collector_host_cpu_utilization_ratio"
		demand   = "hvbalancer_collector_host_cpu_demand_ratio"
		unknown  = "hvbalancer_collector_host_cpu_wait_unknown"
	)
	hot, _ := s.Host("HOT")
	if got, want := value(demand, "HOT"), hot.CPU.Demand.Last/100; got != want || got < 1.2 {
		t.Errorf("HOT demand gauge %v, want the snapshot's %v, above 1.2", got, want)
	}
	if got := value(received, "HOT"); got < 0.995 {
		t.Errorf("HOT received gauge %v, want 1", got)
	}
	if got, want := value(demand, "COOL1"), value(received, "COOL1"); got != want || got > 0.8 {
		t.Errorf("COOL1 demand gauge %v, want its received %v", got, want)
	}
	for _, h := range []string{"HOT", "COOL1"} {
		if got := value(unknown, h); got != 0 {
			t.Errorf("%s wait unknown gauge %v, want 0", h, got)
		}
	}
}

// TestDemandMetricsFallBackToReceived: a host whose VMs lack the wait
// counter shows its received CPU as its demand and says the wait is
// unknown; one whose VMs wanted more shows their demand.
func TestDemandMetricsFallBackToReceived(t *testing.T) {
	f, src, cs, _ := saturatedHost(t)
	const names = "hvbalancer_collector_host_cpu_demand_ratio hvbalancer_collector_host_cpu_wait_unknown"
	compare := func(demand, unknown string) {
		t.Helper()
		want := `
# HELP hvbalancer_collector_host_cpu_demand_ratio Host CPU its VMs wanted at the last good sample, fraction of its logical processors (above 1 when they wanted more than it has); the CPU received where none wanted more or the wait is unknown.
# TYPE hvbalancer_collector_host_cpu_demand_ratio gauge
hvbalancer_collector_host_cpu_demand_ratio{host="HV01"} ` + demand + `
# HELP hvbalancer_collector_host_cpu_wait_unknown 1 when the host's last good poll lacked some running VM's CPU wait counter, so its CPU demand counts those VMs at what they received, else 0.
# TYPE hvbalancer_collector_host_cpu_wait_unknown gauge
hvbalancer_collector_host_cpu_wait_unknown{host="HV01"} ` + unknown + "\n"
		if err := testutil.GatherAndCompare(f.reg, strings.NewReader(want), strings.Fields(names)...); err != nil {
			t.Error(err)
		}
	}
	compare("1.25", "0")

	// The wait counter goes away; the window forgets the demand.
	cs.VMs["a"] = hyperv.VMCounters{CPUPercent: []float64{75}, MeanCPUPercent: 75}
	cs.VMs["b"] = hyperv.VMCounters{CPUPercent: []float64{50}, MeanCPUPercent: 50}
	src.SetCounters(cs)
	f.poll(6 * time.Minute)
	compare("1", "1")
}
