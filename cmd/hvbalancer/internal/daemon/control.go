package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/durable"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// pauseFile returns the file whose presence pauses the executor.
func (d *Daemon) pauseFile() string {
	cfg, _, _ := d.current()
	return cfg.Executor.PauseFile
}

// pause pauses the executor and leaves the pause file, so that a restart
// stays paused.
func (d *Daemon) pause(reason string) error {
	if reason == "" {
		reason = "paused"
	}
	if d.ha != nil { // the fleet's pause, in etcd
		return d.pauseShared(reason)
	}
	if err := durable.MkdirAll(filepath.Dir(d.pauseFile()), 0o750); err != nil {
		return fmt.Errorf("pause: %w", err)
	}
	// Synced: an emergency stop must survive a power cut as it survives
	// a restart.
	if err := durable.WriteFile(d.pauseFile(), func(w io.Writer) error { _, err := io.WriteString(w, reason+"\n"); return err }); err != nil {
		return fmt.Errorf("pause: %w", err)
	}
	d.exec.Pause(reason)
	return nil
}

// resume removes the pause file and resumes the executor.
func (d *Daemon) resume() error {
	if d.ha != nil {
		return d.resumeShared()
	}
	if err := os.Remove(d.pauseFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("resume: %w", err)
	}
	d.exec.Resume()
	return nil
}

// syncPause follows the pause file: an administrator may create or delete
// it by hand. With an ha section the shared pause pauses too.
func (d *Daemon) syncPause() {
	b, err := os.ReadFile(d.pauseFile())
	paused, _ := d.exec.Paused()
	if d.ha != nil && errors.Is(err, os.ErrNotExist) {
		d.syncSharedPause()
		return
	}
	switch {
	case err == nil && !paused:
		reason := strings.TrimSpace(string(b))
		if reason == "" {
			reason = "pause file " + d.pauseFile()
		}
		d.exec.Pause(reason)
	case errors.Is(err, os.ErrNotExist) && paused:
		d.exec.Resume()
	}
}

// reload loads the configuration and policy again. A file or policy that
// does not load, or hosts that cannot be set up, are refused and nothing
// changes; otherwise every changed setting a running daemon can change is
// applied, and the outcome names each changed setting: in effect, waiting
// for something under way to end, or taking effect at the next start,
// with why. Settings that wait for a restart keep their running values.
func (d *Daemon) reload() (*web.ReloadOutcome, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	file, err := config.Load(d.cfgPath)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	old, oldEngine, _ := d.current()
	engine := oldEngine
	if file.Policy != old.Policy {
		if engine, err = LoadPolicy(file, d.log); err != nil {
			return nil, fmt.Errorf("reload: %w", err)
		}
	} else if _, err := engine.Reload(); err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	cfg := runningConfig(old, file)
	planner, err := balancer.NewPlanner(PlannerConfig(cfg), d.log)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	targets, err := d.fleet.Reload(cfg)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	if err := d.col.SetTargets(targets); err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	d.mu.Lock()
	d.cfg, d.file, d.engine, d.planner = cfg, file, engine, planner
	d.mu.Unlock()

	changed := changedSettings(old, file)
	waiting := map[string]string{}
	if cfg.Executor.LocateTimeout != old.Executor.LocateTimeout {
		d.mig.set(migrator(cfg, d.fleet))
	}
	if why := d.reconfigureExecutor(cfg); why != "" {
		for _, k := range changed {
			if executorKeys[k] {
				waiting[k] = why
			}
		}
	}
	if cc, oc := d.fleet.CollectorConfig(cfg), d.fleet.CollectorConfig(old); !sameCollectorConfig(cc, oc) {
		if why := d.reconfigureCollector(cc, old.Collector.CallTimeout+old.Collector.Interval); why != "" {
			for _, k := range changed {
				if strings.HasPrefix(k, "collector.") && atRestart(k) == "" && k != "collector.interval" && k != "collector.min_answering_share" {
					waiting[k] = why
				}
			}
		}
	}
	out := &web.ReloadOutcome{Time: time.Now(), Applied: []string{}}
	for _, k := range changed {
		switch why := atRestart(k); {
		case why != "":
			out.AtRestart = append(out.AtRestart, web.PendingSetting{Key: k, Reason: why})
		case waiting[k] != "":
			out.Waiting = append(out.Waiting, web.PendingSetting{Key: k, Reason: waiting[k]})
		default:
			out.Applied = append(out.Applied, k)
		}
	}
	d.stateMu.Lock()
	d.lastReload = out
	d.stateMu.Unlock()
	d.logReload(engine, cfg, out)
	if maintenanceChanged(old, cfg) {
		d.wakeRounds() // a host entered or left maintenance: evacuate now
	}
	return out, nil
}

// logReload logs what a reload did in one line, and each setting that
// waits for a restart in its own, with why.
func (d *Daemon) logReload(engine interface{ Digest() string }, cfg *config.Config, out *web.ReloadOutcome) {
	var waiting, restart []string
	for _, p := range out.Waiting {
		waiting = append(waiting, p.Key)
	}
	for _, p := range out.AtRestart {
		restart = append(restart, p.Key)
	}
	d.log.Info("reloaded", "policy", engine.Digest(), "automation", cfg.Automation,
		"applied", clip(listOrNone(out.Applied)), "waiting", clip(listOrNone(waiting)), "at_restart", clip(listOrNone(restart)))
	for _, p := range out.AtRestart {
		d.log.Warn("reload: takes effect at the next start", "key", p.Key, "why", p.Reason)
	}
}

func listOrNone(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, " ")
}
