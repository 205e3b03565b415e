package daemon

import (
	"slices"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// TestChangedSettingsNamesEachKey: a reload names every changed setting
// by its key in the file, hosts by name, and says which wait for a
// restart.
func TestChangedSettingsNamesEachKey(t *testing.T) {
	base := func() *config.Config {
		c := config.Default()
		c.Clusters = []config.Cluster{{Name: "CL01", Hosts: []config.Host{{Name: "HV01"}, {Name: "HV02"}}}}
		return &c
	}
	for _, c := range []struct {
		name    string
		change  func(*config.Config)
		want    []string
		restart []string
	}{
		{"nothing", func(*config.Config) {}, nil, nil},
		{"limits and deadlines", func(c *config.Config) {
			c.Executor.MaxConcurrent++
			c.Collector.CallTimeout += time.Second
			c.RoundDeadline = time.Minute
		}, []string{"collector.call_timeout", "executor.max_concurrent", "round_deadline"}, nil},
		{"hosts", func(c *config.Config) {
			c.Clusters[0].Hosts[1].Maintenance = true
			c.Clusters[0].Hosts = append(c.Clusters[0].Hosts, config.Host{Name: "HV03"})
			c.Clusters[0].Hosts = slices.Delete(c.Clusters[0].Hosts, 0, 1)
		}, []string{"hosts.HV01 removed", "hosts.HV02.maintenance", "hosts.HV03 added"}, nil},
		{"restart only", func(c *config.Config) {
			c.HTTP.Listen = "127.0.0.1:1"
			c.StateDir = "elsewhere"
			c.Executor.DrainTimeout = time.Hour
		}, []string{"executor.drain_timeout", "http.listen", "state_dir"}, []string{"executor.drain_timeout", "http.listen", "state_dir"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			old, cur := base(), base()
			c.change(cur)
			got := changedSettings(old, cur)
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("changed %q, want %q", got, c.want)
			}
			var restart []string
			for _, k := range got {
				if atRestart(k) != "" {
					restart = append(restart, k)
				}
			}
			if !slices.Equal(restart, c.restart) {
				t.Errorf("at restart %q, want %q", restart, c.restart)
			}
		})
	}
}
