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

// Run serves until ctx ends: the HTTP server, the collector, the control
// loop, the journal's reconciliation, then the executor and the rounds,
// each owned by one errgroup. The listener opens first, so that /healthz
// answers at once; /readyz says "reconciling" and no round runs until the
// journal is reconciled. On the way out no new migration starts and
// in-flight ones drain (executor).
func (d *Daemon) Run(ctx context.Context) error {
	cfg, _, _ := d.current()
	d.syncPause()
	ln, srv, err := d.listen(cfg)
	if err != nil {
		return err
	}
	if d.ha != nil {
		if err := d.startElector(ln); err != nil {
			ln.Close()
			return err
		}
		srv.Handler = d.forwarding(srv.Handler)
	}
	fmt.Fprintf(d.stdout, "hvbalancer %s: %s automation, status page %s/\n", d.version, cfg.Automation, statusURL(cfg.HTTP, ln.Addr()))
	if d.fleet.Sim != nil {
		fmt.Fprintf(d.stdout, "simulated fleet: %d hosts on 127.0.0.1 (admin API %s)\n", len(d.fleet.Targets), d.fleet.Sim.AdminURL())
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	drained := make(chan struct{})
	if d.ha != nil { // polls, rounds and the executor run only while elected
		g.Go(func() error { d.control(gctx); return nil })
		g.Go(func() error { defer close(drained); return d.standBy(gctx) })
	} else {
		g.Go(func() error { d.poll(gctx); return nil })
		g.Go(func() error { d.control(gctx); return nil })
		g.Go(func() error {
			defer close(drained)
			d.reconcile(gctx)
			if gctx.Err() != nil {
				return nil
			}
			g.Go(func() error { d.rounds(gctx); return nil })
			return d.exec.Run(gctx)
		})
	}
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

// reconcile resolves the journal's unresolved entries, then marks the
// daemon reconciled and applies executor settings a reload left waiting
// for it.
func (d *Daemon) reconcile(ctx context.Context) {
	began := time.Now()
	if err := d.exec.Reconcile(ctx); err != nil {
		d.log.Warn("reconcile the journal", "err", err)
	}
	d.stateMu.Lock()
	d.reconciled = true
	d.applyPendingExecLocked()
	d.stateMu.Unlock()
	d.log.Debug("journal reconciled", "took", time.Since(began).Round(time.Millisecond))
}

// isReconciled reports whether the journal's reconciliation at start-up
// has ended.
func (d *Daemon) isReconciled() bool {
	d.stateMu.Lock()
	defer d.stateMu.Unlock()
	return d.reconciled
}

// control follows the pause file, reloads the policy when it changes and
// the configuration on SIGHUP, while rounds run on their own.
func (d *Daemon) control(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPolicyCheck := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if _, err := d.reload(); err != nil {
				d.log.Error("reload refused; the running configuration stays", "err", err)
			}
		case <-tick.C:
			d.syncPause()
			if d.ha != nil {
				d.syncMaintenance()
			}
			cfg, engine, _ := d.current()
			if time.Since(lastPolicyCheck) >= cfg.Policy.ReloadInterval {
				lastPolicyCheck = time.Now()
				if changed, err := engine.Reload(); err != nil {
					d.log.Error("policy reload refused; the last good policy stays", "err", err)
				} else if changed {
					d.log.Info("policy reloaded", "policy", engine.Digest())
				}
			}
		}
	}
}

// poll polls the fleet at once and then every collector interval (the
// current one: a reload may change it) until ctx ends.
func (d *Daemon) poll(ctx context.Context) {
	for {
		began := time.Now()
		if _, err := d.col.Poll(ctx); err != nil {
			return // only when ctx ended
		}
		cfg, _, _ := d.current()
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.Collector.Interval - time.Since(began)):
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
