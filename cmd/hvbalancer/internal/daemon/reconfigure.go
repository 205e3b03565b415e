package daemon

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/collector"
)

// runningConfig is the file's configuration with the settings a running
// daemon cannot change (see atRestart) kept at their running values, and
// a change between the simulator and real hosts (or of the simulator)
// left for the next start with the hosts it runs.
func runningConfig(old, file *config.Config) *config.Config {
	c := *file
	c.StateDir, c.Log, c.HTTP, c.Signing = old.StateDir, old.Log, old.HTTP, old.Signing
	c.Collector.StopAfterFailedLogins = old.Collector.StopAfterFailedLogins
	c.Collector.LoginBackoffMax = old.Collector.LoginBackoffMax
	c.Executor.HoldAfterFailure, c.Executor.DrainTimeout = old.Executor.HoldAfterFailure, old.Executor.DrainTimeout
	if (file.Simulator == nil) != (old.Simulator == nil) || file.Simulator != nil && *file.Simulator != *old.Simulator {
		c.Simulator, c.Clusters, c.WinRM = old.Simulator, old.Clusters, old.WinRM
	}
	return &c
}

// executorKeys are the settings executor.Reconfigure applies.
var executorKeys = map[string]bool{
	"executor.max_concurrent": true, "executor.per_host_cap": true, "executor.migrations_per_minute": true, "executor.evacuation_per_minute": true,
	"executor.burst": true, "executor.breaker_threshold": true, "executor.breaker_cooldown": true,
	"planner.cooldown": true,
}

// reconfigureExecutor gives the executor cfg's limits, at once, or when
// the journal's reconciliation at start-up ends if it has not: it returns
// why they wait, or "".
func (d *Daemon) reconfigureExecutor(cfg *config.Config) string {
	ec := executorConfig(cfg, d.fleet, d.col, d.evacuating)
	d.stateMu.Lock()
	defer d.stateMu.Unlock()
	if !d.reconciled {
		d.pendingExec = &ec
		return "the journal's reconciliation at start-up ends first"
	}
	d.exec.Reconfigure(ec)
	return ""
}

// sameCollectorConfig reports whether two collector settings are the same
// (Now aside).
func sameCollectorConfig(a, b collector.Config) bool {
	a.Now, b.Now = nil, nil
	return reflect.DeepEqual(a, b)
}

// collectorWait is how long a reload waits for the collector to take new
// settings before it answers that they wait for the polls under way.
const collectorWait = 2 * time.Second

// reconfigureCollector gives the collector new settings. The collector
// takes them when no host's poll is under way: a reload waits for that
// briefly, then leaves it to a goroutine bounded by within (a poll under
// way ends by its deadline) and returns why the settings wait, or "" when
// they are in effect. A newer reload's settings win over an older one's
// still waiting.
func (d *Daemon) reconfigureCollector(cc collector.Config, within time.Duration) string {
	gen := d.colGen.Add(1)
	apply := func(ctx context.Context) error {
		d.colMu.Lock()
		defer d.colMu.Unlock()
		if d.colGen.Load() != gen {
			return nil // a newer reload's settings apply instead
		}
		return d.col.Reconfigure(ctx, cc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), collectorWait)
	err := apply(ctx)
	cancel()
	if err == nil {
		return ""
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		if err := apply(ctx); err != nil {
			d.log.Error("reload: the collector's new settings were not applied; reload again", "err", err)
			return
		}
		d.log.Info("reload: the collector's new settings are in effect")
	}()
	return fmt.Sprintf("in effect once the host polls under way end (%v)", err)
}

// applyPendingExec applies executor settings a reload left for the end of
// the reconciliation; the caller holds stateMu.
func (d *Daemon) applyPendingExecLocked() {
	if d.pendingExec != nil {
		d.exec.Reconfigure(*d.pendingExec)
		d.pendingExec = nil
	}
}
