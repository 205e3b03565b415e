package collector_test

import (
	"bytes"
	"context"
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
// said once, not at every poll.
func TestHostsOwnClusterWins(t *testing.T) {
	for _, tc := range []struct {
		name, configured, reported, want string
		warn                             bool
	}{
		{"configured and reported agree", "CL1", "CL1", "CL1", false},
		{"case does not matter", "cl1", "CL1", "CL1", false},
		{"nothing configured", "", "CL1", "CL1", false},
		{"another cluster configured", "CL9", "CL1", "CL1", true},
		{"a cluster configured for a stand-alone host", "RACK-A", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			clock := collectortest.NewClock(t0)
			src := collectortest.NewSource(hyperv.HostInfo{Name: "HV01", Cluster: tc.reported, LogicalProcessors: 16, MemoryCapacity: 64 * gib, MigrationEnabled: true, MaxMigrations: 2})
			src.SetCounters(counters(10, 16, nil))
			c, err := collector.New([]collector.Target{{Name: "HV01", Cluster: tc.configured, Source: src}},
				collector.Config{Now: clock.Now, FactsEvery: 1}, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
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
			if h, _ := s.Host("HV01"); h.Cluster != tc.want {
				t.Errorf("snapshot cluster %q, want %q", h.Cluster, tc.want)
			}
			warnings := strings.Count(logs.String(), "configured cluster is not the host's; using the host's")
			if want := map[bool]int{true: 1, false: 0}[tc.warn]; warnings != want {
				t.Errorf("%d warnings over 3 polls, want %d:\n%s", warnings, want, logs.String())
			}
		})
	}
}
