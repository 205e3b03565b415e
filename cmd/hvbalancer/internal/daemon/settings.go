package daemon

import (
	"log/slog"

	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// PlannerConfig turns the file's planner section into the planner's
// Config; a file that sets nothing gives balancer.DefaultConfig.
func PlannerConfig(c *config.Config) balancer.Config {
	p := c.Planner
	cfg := balancer.DefaultConfig()
	cfg.Aggressiveness = p.Aggressiveness
	cfg.CPUHigh = p.CPUHigh
	cfg.MemoryHigh = p.MemoryHigh
	cfg.TargetSpread = p.TargetSpread
	cfg.MaxMoves = p.MaxMoves
	cfg.MaxInflowPerHost = p.MaxInflowPerHost
	cfg.MemoryReserveBytes = int64(p.MemoryReserveGiB * (1 << 30))
	cfg.StorageReserveBytes = int64(p.StorageReserveGiB * (1 << 30))
	if paths := c.StoragePaths(); len(paths) > 0 {
		cfg.StoragePaths = paths
	}
	cfg.CPUCeiling = p.CPUCeiling
	cfg.Headroom = p.Headroom
	cfg.Cooldown = p.Cooldown
	cfg.RefusalMemory = p.RefusalMemory
	cfg.CPUWeight = p.Weights.CPU
	cfg.MemoryWeight = p.Weights.Memory
	cfg.MigrationCostWeight = p.Weights.MigrationCost
	cfg.BandwidthBytesPerSecond = p.BandwidthGbps * 1e9 / 8
	cfg.MaxConcurrent = c.Executor.MaxConcurrent
	cfg.PlanTTL = p.PlanTTL
	return cfg
}

// LoadPolicy compiles the configured policy.
func LoadPolicy(c *config.Config, log *slog.Logger) (*policy.Engine, error) {
	return policy.Load(policy.Options{Dir: c.Policy.Dir, Bundle: c.Policy.Bundle, Logger: log})
}

// migrator is the executor's Migrator over the fleet's guarded clients,
// with the configured bound of the fleet-wide search for a VM.
func migrator(c *config.Config, f *fleet.Fleet) *executor.HyperV {
	m := guardedMigrator(f.Guard)
	m.SearchTimeout = c.Executor.LocateTimeout
	return m
}

// executorConfig turns the file's executor section into the executor's;
// evacuating says whether a host is in maintenance now.
func executorConfig(c *config.Config, f *fleet.Fleet, col *collector.Collector, evacuating func(host string) bool) executor.Config {
	k := c.Executor
	return executor.Config{
		MaxConcurrent: k.MaxConcurrent,
		PerHostCap:    k.PerHostCap,
		HostLimit: func(host string) int {
			if s := col.Latest(); s != nil {
				if h, ok := s.Host(host); ok {
					return h.MaxMigrations
				}
			}
			return 0
		},
		Rate:             rate.Limit(k.MigrationsPerMinute / 60),
		Burst:            k.Burst,
		EvacuationRate:   rate.Limit(k.EvacuationPerMinute / 60),
		Evacuating:       evacuating,
		Cooldown:         c.Planner.Cooldown,
		HoldAfterFailure: k.HoldAfterFailure,
		BreakerThreshold: k.BreakerThreshold,
		BreakerCooldown:  k.BreakerCooldown,
		DrainTimeout:     k.DrainTimeout,
		Now:              f.Now,
	}
}
