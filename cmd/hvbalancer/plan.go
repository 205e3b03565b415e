package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/collector"
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
	f, err := fleet.Open(c, log, nil)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	snap, err := f.Collect(ctx, c, s.samples, s.every, log)
	return snap, f.Addrs, err
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
	if err := fleet.TooFew(snap, addrs, c.Collector.MinAnsweringShare, "no plan written"); err != nil {
		return err
	}
	snap, hist, err := daemon.ReadPlanState(c, snap, daemon.JournalLockWait)
	if err != nil {
		return err
	}
	plan, err := daemon.MakePlan(ctx, c, snap, engine, hist, e.log)
	if err != nil {
		return err
	}
	key, err := daemon.SigningKey(c)
	if err != nil {
		return err
	}
	if err := daemon.WritePlan(*out, plan, snap, key); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, plan.Summary()) // says too whether the plan was made without the journal's history
	fmt.Fprintf(e.stdout, "\nwrote %s, signed by key %s\n", filepath.Join(*out, "plan.{json,md,html,sig}"), key.Public().ID())
	return fleet.Incomplete(snap, addrs, "the plan leaves them out and says so")
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
	return fleet.Incomplete(snap, addrs, "the snapshot marks them")
}
