package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// sampling are the flags that say how a command collects a live fleet.
type sampling struct {
	snapshot string
	samples  int
	every    time.Duration
}

func (s *sampling) register(fs interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}, withSnapshot bool) {
	if withSnapshot {
		fs.StringVar(&s.snapshot, "snapshot", "", "plan from this snapshot `file` instead of the live fleet")
	}
	fs.IntVar(&s.samples, "samples", 3, "samples to take of the live fleet before planning")
	fs.DurationVar(&s.every, "every", 2*time.Second, "time between samples")
}

func (s *sampling) check() error {
	if s.samples < 1 {
		return fmt.Errorf("%w: --samples must be >= 1", errUsage)
	}
	if s.every < 0 {
		return fmt.Errorf("%w: --every must be >= 0", errUsage)
	}
	return nil
}

// snapshotOf reads the snapshot file, or samples the live fleet; it also
// returns the hosts' addresses (none for a file).
func (s *sampling) snapshotOf(ctx context.Context, c *config.Config, log *slog.Logger) (*collector.Snapshot, map[string]string, error) {
	if s.snapshot != "" {
		snap, err := collector.LoadSnapshot(s.snapshot)
		return snap, nil, err
	}
	f, err := openFleet(c, log, nil)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	snap, err := collect(ctx, c, f, s.samples, s.every, log)
	return snap, f.addrs, err
}

// plannerConfig turns the file's planner section into the planner's Config.
func plannerConfig(c *config.Config) balancer.Config {
	p := c.Planner
	cfg := balancer.DefaultConfig()
	cfg.Aggressiveness = p.Aggressiveness
	cfg.CPUHigh = p.CPUHigh
	cfg.MemoryHigh = p.MemoryHigh
	cfg.TargetSpread = p.TargetSpread
	cfg.MaxMoves = p.MaxMoves
	cfg.MaxInflowPerHost = p.MaxInflowPerHost
	cfg.MemoryReserveBytes = int64(p.MemoryReserveGiB * (1 << 30))
	cfg.CPUCeiling = p.CPUCeiling
	cfg.Cooldown = p.Cooldown
	cfg.CPUWeight = p.Weights.CPU
	cfg.MemoryWeight = p.Weights.Memory
	cfg.MigrationCostWeight = p.Weights.MigrationCost
	cfg.BandwidthBytesPerSecond = p.BandwidthGbps * 1e9 / 8
	cfg.MaxConcurrent = c.Executor.MaxConcurrent
	cfg.PlanTTL = p.PlanTTL
	return cfg
}

// loadPolicy compiles the configured policy.
func loadPolicy(c *config.Config, log *slog.Logger) (*policy.Engine, error) {
	return policy.Load(policy.Options{Dir: c.Policy.Dir, Bundle: c.Policy.Bundle, Logger: log})
}

// loadConfigAndPolicy loads the configuration file and compiles its policy.
func loadConfigAndPolicy(path string, e *env) (*config.Config, *policy.Engine, error) {
	c, err := loadConfig(path, e)
	if err != nil {
		return nil, nil, err
	}
	engine, err := loadPolicy(c, e.log)
	if err != nil {
		return nil, nil, err
	}
	return c, engine, nil
}

// makePlan asks the policy about the snapshot and plans.
func makePlan(ctx context.Context, c *config.Config, snap *collector.Snapshot, engine *policy.Engine, log *slog.Logger) (*balancer.Plan, error) {
	round, err := engine.Begin(ctx, balancer.PolicyInput(snap, policy.History{}, c.Location()))
	if err != nil {
		return nil, err
	}
	planner, err := balancer.NewPlanner(plannerConfig(c), log)
	if err != nil {
		return nil, err
	}
	return planner.Plan(ctx, snap, round, engine.Digest(), nil)
}

func planCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "plan", "plan --config FILE [--snapshot FILE] --out DIR")
	path := fs.String("config", "", "configuration `file`")
	out := fs.String("out", "", "`dir`ectory for plan.json, plan.md, plan.html and snapshot.json")
	checkOnly := fs.Bool("check", false, "validate the configuration and compile the policy, then exit")
	var s sampling
	s.register(fs, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *checkOnly {
		_, err := checkConfig(*path, e)
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if err := s.check(); err != nil {
		return err
	}
	c, engine, err := loadConfigAndPolicy(*path, e)
	if err != nil {
		return err
	}
	snap, addrs, err := s.snapshotOf(ctx, c, e.log)
	if err != nil {
		return err
	}
	if err := tooFew(snap, addrs, c.Collector.MinAnsweringShare, "no plan written"); err != nil {
		return err
	}
	plan, err := makePlan(ctx, c, snap, engine, e.log)
	if err != nil {
		return err
	}
	if err := writePlan(*out, plan, snap); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, plan.Summary())
	fmt.Fprintf(e.stdout, "\nwrote %s\n", filepath.Join(*out, "plan.{json,md,html}"))
	return incomplete(snap, addrs, "the plan leaves them out and says so")
}

// writePlan writes the plan in its three forms and the snapshot it came from,
// each file atomically.
func writePlan(dir string, plan *balancer.Plan, snap *collector.Snapshot) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"plan.json", plan.WriteJSON},
		{"plan.md", plan.WriteMarkdown},
		{"plan.html", plan.WriteHTML},
		{"snapshot.json", snap.Write},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
	}
	return nil
}

// writeFileAtomic writes a file through a temporary file and a rename.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func snapshotCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "snapshot", "snapshot --config FILE --out FILE")
	path := fs.String("config", "", "configuration `file`")
	out := fs.String("out", "", "snapshot `file` to write (JSON)")
	var s sampling
	s.register(fs, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if err := s.check(); err != nil {
		return err
	}
	c, err := loadConfig(*path, e)
	if err != nil {
		return err
	}
	snap, addrs, err := s.snapshotOf(ctx, c, e.log)
	if err != nil {
		return err
	}
	if err := snap.Save(*out); err != nil {
		return err
	}
	ok, total := snap.Answering()
	fmt.Fprintf(e.stdout, "wrote %s: %d hosts (%d ok), %d VMs, %s\n", *out, total, ok, len(snap.VMs), snap.Digest())
	return incomplete(snap, addrs, "the snapshot marks them")
}
