package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/collector"
)

// Run serves until ctx ends: the collector, the policy watcher, the rounds,
// the executor and the HTTP server, each owned by one errgroup. On the way
// out no new migration starts and in-flight ones drain (executor).
func (d *Daemon) Run(ctx context.Context) error {
	cfg, _, _ := d.current()
	if err := d.exec.Reconcile(ctx); err != nil {
		d.log.Warn("reconcile the journal", "err", err)
	}
	d.syncPause()
	ln, srv, err := d.listen(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.stdout, "hvbalancer %s: %s automation, status page http://%s/\n", d.version, cfg.Automation, ln.Addr())
	if d.fleet.Sim != nil {
		fmt.Fprintf(d.stdout, "simulated fleet: %d hosts on 127.0.0.1 (admin API %s)\n", len(d.fleet.Targets), d.fleet.Sim.AdminURL())
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
		fmt.Fprintln(d.stdout, "hvbalancer: stopped")
		return nil
	}
	return err
}

// loop runs a round every round interval, follows the pause file, reloads
// the policy when it changes and the configuration on SIGHUP.
func (d *Daemon) loop(ctx context.Context) {
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
func (d *Daemon) enoughSamples(cfg *config.Config) bool {
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
