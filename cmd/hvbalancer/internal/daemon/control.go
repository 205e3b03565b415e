package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
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
	if err := os.MkdirAll(filepath.Dir(d.pauseFile()), 0o750); err != nil {
		return fmt.Errorf("pause: %w", err)
	}
	if err := os.WriteFile(d.pauseFile(), []byte(reason+"\n"), 0o640); err != nil {
		return fmt.Errorf("pause: %w", err)
	}
	d.exec.Pause(reason)
	return nil
}

// resume removes the pause file and resumes the executor.
func (d *Daemon) resume() error {
	if err := os.Remove(d.pauseFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("resume: %w", err)
	}
	d.exec.Resume()
	return nil
}

// syncPause follows the pause file: an administrator may create or delete
// it by hand.
func (d *Daemon) syncPause() {
	b, err := os.ReadFile(d.pauseFile())
	paused, _ := d.exec.Paused()
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

// reload loads the configuration and policy again; all or nothing.
func (d *Daemon) reload() error {
	cfg, err := config.Load(d.cfgPath)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	old, oldEngine, _ := d.current()
	engine := oldEngine
	if cfg.Policy != old.Policy {
		if engine, err = LoadPolicy(cfg, d.log); err != nil {
			return fmt.Errorf("reload: %w", err)
		}
	} else if _, err := engine.Reload(); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	planner, err := balancer.NewPlanner(PlannerConfig(cfg), d.log)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if (cfg.Simulator == nil) != (old.Simulator == nil) || cfg.Simulator != nil && *cfg.Simulator != *old.Simulator {
		d.log.Warn("reload: a change between simulator and real hosts, or of the simulator, takes effect at the next restart")
	} else {
		targets, err := d.fleet.Reload(cfg)
		if err != nil {
			return fmt.Errorf("reload: %w", err)
		}
		if err := d.col.SetTargets(targets); err != nil {
			return fmt.Errorf("reload: %w", err)
		}
	}
	d.mu.Lock()
	d.cfg, d.engine, d.planner = cfg, engine, planner
	d.mu.Unlock()
	d.log.Info("reloaded", "policy", engine.Digest(), "automation", cfg.Automation)
	return nil
}
