package collector_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// TestHostsOwnClusterWins: the configuration may name a cluster for a
// host, but once the host has answered the snapshot holds the cluster the
// host reports (or none for a stand-alone host), and each disagreement is
// said once, not at every poll. A configured group of stand-alone hosts is
// only a grouping and no disagreement.
func TestHostsOwnClusterWins(t *testing.T) {
	type host struct{ configured, reported string }
	for _, tc := range []struct {
		name  string
		hosts []host // HV01, HV02, ...
		warn  []string
	}{
		{"configured and reported agree", []host{{"CL1", "CL1"}}, nil},
		{"case does not matter", []host{{"cl1", "CL1"}}, nil},
		{"nothing configured", []host{{"", "CL1"}}, nil},
		{"another cluster configured", []host{{"CL9", "CL1"}}, []string{"HV01"}},
		{"a group of stand-alone hosts", []host{{"RACK-A", ""}, {"RACK-A", ""}}, nil},
		{"a stand-alone host listed under a real cluster", []host{{"CL1", "CL1"}, {"CL1", ""}, {"CL1", "CL1"}}, []string{"HV02"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			clock := collectortest.NewClock(t0)
			var targets []collector.Target
			for i, h := range tc.hosts {
				name := fmt.Sprintf("HV%02d", i+1)
				src := collectortest.NewSource(hyperv.HostInfo{Name: name, Cluster: h.reported, LogicalProcessors: 16, MemoryCapacity: 64 * gib, MigrationEnabled: true, MaxMigrations: 2})
				src.SetCounters(counters(10, 16, nil))
				targets = append(targets, collector.Target{Name: name, Cluster: h.configured, Source: src})
			}
			c, err := collector.New(targets, collector.Config{Now: clock.Now, FactsEvery: 1}, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			var s *collector.Snapshot
			for range 3 {
				clock.Advance(time.Minute)
				if s, err = c.Poll(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			for i, h := range tc.hosts {
				if got, _ := s.Host(fmt.Sprintf("HV%02d", i+1)); got.Cluster != h.reported {
					t.Errorf("HV%02d: snapshot cluster %q, want the reported %q", i+1, got.Cluster, h.reported)
				}
			}
			var warned []string
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, "configured cluster is not the host's; using the host's") {
					warned = append(warned, strings.Fields(strings.SplitAfter(line, "host=")[1])[0])
				}
			}
			if fmt.Sprint(warned) != fmt.Sprint(tc.warn) {
				t.Errorf("warned for %v over 3 polls, want %v:\n%s", warned, tc.warn, logs.String())
			}
		})
	}
}
