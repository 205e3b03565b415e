package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

func runCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "run", "run --config FILE [--check]")
	path := fs.String("config", "", "configuration `file`")
	checkOnly := fs.Bool("check", false, "validate the configuration and compile the policy, then exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *checkOnly {
		_, err := checkConfig(*path, e)
		return err
	}
	c, engine, err := loadConfigAndPolicy(*path, e)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	d, err := newDaemon(*path, c, engine, e.log, reg)
	if err != nil {
		return err
	}
	defer d.close()
	return d.run(ctx, e, reg)
}

// executorConfig turns the file's executor section into the executor's.
func executorConfig(c *config.Config, f *fleet, col *collector.Collector) executor.Config {
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
		Cooldown:         c.Planner.Cooldown,
		HoldAfterFailure: k.HoldAfterFailure,
		BreakerThreshold: k.BreakerThreshold,
		BreakerCooldown:  k.BreakerCooldown,
		DrainTimeout:     k.DrainTimeout,
		Now:              f.now,
	}
}

// newDaemon opens the fleet, the journal and the plan store, and builds the
// collector, planner and executor. The journal is reconciled in run.
func newDaemon(path string, c *config.Config, engine *policy.Engine, log *slog.Logger, reg *prometheus.Registry) (_ *daemon, err error) {
	d := &daemon{log: log, cfgPath: path, cfg: c, engine: engine, metrics: newDaemonMetrics(reg)}
	defer func() {
		if err != nil {
			d.close() // what was opened before the error
		}
	}()
	if err := os.MkdirAll(c.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if d.journal, err = journal.Open(filepath.Join(c.StateDir, "journal.db")); err != nil {
		return nil, err
	}
	if d.plans, err = openPlanStore(filepath.Join(c.StateDir, "plans")); err != nil {
		return nil, err
	}
	if d.planner, err = balancer.NewPlanner(plannerConfig(c), log); err != nil {
		return nil, err
	}
	if d.fleet, err = openFleet(c, log, reg); err != nil {
		return nil, err
	}
	d.col, err = collector.New(d.fleet.targets, collectorConfig(c, d.fleet), log.With("component", "collector"), reg)
	if err != nil {
		return nil, err
	}
	v := &validator{
		guard:  d.fleet.guard,
		latest: d.col.Latest,
		engine: func() *policy.Engine { _, e, _ := d.current(); return e },
		settings: func() (balancer.Config, *time.Location) {
			cfg, _, _ := d.current()
			return plannerConfig(cfg), cfg.Location()
		},
		timeout: c.Collector.CallTimeout,
	}
	d.exec, err = executor.New(executorConfig(c, d.fleet, d.col), guardedMigrator(d.fleet.guard), v, d.journal, log.With("component", "executor"), reg)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// collectorConfig turns the file's collector section into the collector's.
// The window and staleness are wall-clock settings, like the poll
// interval; on a simulated fleet whose clock runs faster they are scaled
// to the fleet's clock, which stamps the samples.
func collectorConfig(c *config.Config, f *fleet) collector.Config {
	return collector.Config{
		Window:         f.fleetTime(c.Collector.Window),
		StaleAfter:     f.fleetTime(c.Collector.StaleAfter),
		Concurrency:    c.Collector.Concurrency,
		CallTimeout:    c.Collector.CallTimeout,
		SampleInterval: c.Collector.SampleInterval,
		Now:            f.now,
	}
}

func (d *daemon) close() {
	if d.fleet != nil {
		d.fleet.Close()
	}
	if d.journal != nil {
		d.journal.Close()
	}
}

// run serves until ctx ends: the collector, the policy watcher, the rounds,
// the executor and the HTTP server, each owned by one errgroup. On the way
// out no new migration starts and in-flight ones drain (executor).
func (d *daemon) run(ctx context.Context, e *env, reg *prometheus.Registry) error {
	cfg, _, _ := d.current()
	if err := d.exec.Reconcile(ctx); err != nil {
		d.log.Warn("reconcile the journal", "err", err)
	}
	d.syncPause()
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           web.NewHandler(backend{d}, web.Options{TokenFile: cfg.HTTP.TokenFile, Gatherer: reg, Logger: d.log.With("component", "http")}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(e.stdout, "hvbalancer %s: %s automation, status page http://%s/\n", buildVersion(), cfg.Automation, ln.Addr())
	if d.fleet.sim != nil {
		fmt.Fprintf(e.stdout, "simulated fleet: %d hosts on 127.0.0.1 (admin API %s)\n", len(d.fleet.targets), d.fleet.sim.AdminURL())
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return d.col.Run(gctx, cfg.Collector.Interval, nil)
	})
	drained := make(chan struct{})
	g.Go(func() error { defer close(drained); return d.exec.Run(gctx) })
	g.Go(func() error { d.loop(gctx); return nil })
	g.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		// The executor drains in-flight migrations first (Run returns when
		// they end or its drain timeout passes); keep answering the status
		// page while it does, then stop.
		<-drained
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	err = g.Wait()
	if ctx.Err() != nil {
		fmt.Fprintln(e.stdout, "hvbalancer: stopped")
		return nil
	}
	return err
}

// loop runs a round every round interval, follows the pause file, reloads
// the policy when it changes and the configuration on SIGHUP.
func (d *daemon) loop(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	rounds := time.NewTimer(0)
	defer rounds.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPolicyCheck := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := d.reload(); err != nil {
				d.log.Error("reload refused; the running configuration stays", "err", err)
			}
		case <-tick.C:
			d.syncPause()
			cfg, engine, _ := d.current()
			if time.Since(lastPolicyCheck) >= cfg.Policy.ReloadInterval {
				lastPolicyCheck = time.Now()
				if changed, err := engine.Reload(); err != nil {
					d.log.Error("policy reload refused; the last good policy stays", "err", err)
				} else if changed {
					d.log.Info("policy reloaded", "policy", engine.Digest())
				}
			}
		case <-rounds.C:
			cfg, _, _ := d.current()
			if !d.enoughSamples(cfg) {
				rounds.Reset(time.Second)
				continue
			}
			d.round(ctx)
			rounds.Reset(cfg.RoundInterval)
		}
	}
}

// enoughSamples reports whether the window holds enough samples for the
// smoothed loads to mean something (three, or as many as the window can
// hold: a poll takes at least Get-Counter's sample interval), so the daemon
// never plans on a single spike after a start.
func (d *daemon) enoughSamples(cfg *config.Config) bool {
	s := d.col.Latest()
	if s == nil {
		return false
	}
	period := max(cfg.Collector.Interval, cfg.Collector.SampleInterval)
	want := min(3, max(1, int(cfg.Collector.Window/period)))
	for _, h := range s.Hosts {
		if h.Health == collector.HealthOK && h.Samples >= want {
			return true
		}
	}
	return false
}
