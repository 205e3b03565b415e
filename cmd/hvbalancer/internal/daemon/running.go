package daemon

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// shownSettings are the settings the status shows, in file keys, each
// with its value as a word.
var shownSettings = []struct {
	key   string
	value func(c *config.Config) string
}{
	{"automation", func(c *config.Config) string { return string(c.Automation) }},
	{"round_interval", func(c *config.Config) string { return c.RoundInterval.String() }},
	{"round_deadline", func(c *config.Config) string { return c.RoundDeadline.String() }},
	{"hosts in maintenance", maintenanceHosts},
	{"collector.interval", func(c *config.Config) string { return c.Collector.Interval.String() }},
	{"collector.window", func(c *config.Config) string { return c.Collector.Window.String() }},
	{"collector.stale_after", func(c *config.Config) string { return c.Collector.StaleAfter.String() }},
	{"collector.call_timeout", func(c *config.Config) string { return c.Collector.CallTimeout.String() }},
	{"collector.round_timeout", func(c *config.Config) string { return c.Collector.RoundTimeout.String() }},
	{"planner.max_moves", func(c *config.Config) string { return fmt.Sprint(c.Planner.MaxMoves) }},
	{"planner.cpu_high", func(c *config.Config) string { return fmt.Sprint(c.Planner.CPUHigh) }},
	{"planner.memory_high", func(c *config.Config) string { return fmt.Sprint(c.Planner.MemoryHigh) }},
	{"planner.cooldown", func(c *config.Config) string { return c.Planner.Cooldown.String() }},
	{"executor.max_concurrent", func(c *config.Config) string { return fmt.Sprint(c.Executor.MaxConcurrent) }},
	{"executor.per_host_cap", func(c *config.Config) string { return fmt.Sprint(c.Executor.PerHostCap) }},
	{"executor.migrations_per_minute", func(c *config.Config) string { return fmt.Sprint(c.Executor.MigrationsPerMinute) }},
	{"executor.evacuation_per_minute", func(c *config.Config) string { return fmt.Sprint(c.Executor.EvacuationPerMinute) }},
	{"executor.burst", func(c *config.Config) string { return fmt.Sprint(c.Executor.Burst) }},
	{"executor.breaker_threshold", func(c *config.Config) string { return fmt.Sprint(c.Executor.BreakerThreshold) }},
	{"executor.breaker_cooldown", func(c *config.Config) string { return c.Executor.BreakerCooldown.String() }},
	{"executor.hold_after_failure", func(c *config.Config) string { return c.Executor.HoldAfterFailure.String() }},
	{"executor.drain_timeout", func(c *config.Config) string { return c.Executor.DrainTimeout.String() }},
	{"executor.locate_timeout", func(c *config.Config) string { return c.Executor.LocateTimeout.String() }},
	{"http.listen", func(c *config.Config) string { return c.HTTP.Listen }},
	{"state_dir", func(c *config.Config) string { return c.StateDir }},
}

// maintenanceHosts names the configured hosts in maintenance.
func maintenanceHosts(c *config.Config) string {
	var names []string
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			if h.Maintenance {
				names = append(names, h.Name)
			}
		}
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// runningSettings are the settings in effect, and the file's value beside
// those that wait for a restart.
func runningSettings(running, file *config.Config) []web.Setting {
	out := make([]web.Setting, 0, len(shownSettings))
	for _, s := range shownSettings {
		v := web.Setting{Key: s.key, Value: s.value(running)}
		if f := s.value(file); f != v.Value {
			v.AtRestart = f
		}
		out = append(out, v)
	}
	return out
}
