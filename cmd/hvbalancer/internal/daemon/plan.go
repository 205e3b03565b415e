package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/durable"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/seal"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// MakePlan asks the policy about the snapshot and plans once, as the
// daemon's round does, with the journal's history h (see
// ReadPlanState): what `hvbalancer plan` shows. A plan made without it
// says why in its header. As in a round, max_moves is raised by the
// running VMs of the hosts in maintenance, so one plan drains them.
func MakePlan(ctx context.Context, c *config.Config, snap *collector.Snapshot, engine *policy.Engine, h PlanHistory, log *slog.Logger) (*balancer.Plan, error) {
	session, err := engine.Begin(ctx, balancer.PolicyInput(snap, h.Policy, c.Location()))
	if err != nil {
		return nil, err
	}
	planner, err := balancer.NewPlanner(PlannerConfig(c), log)
	if err != nil {
		return nil, err
	}
	plan, err := planner.Plan(ctx, snap, evacuationRules(session, PlannerConfig(c), snap, false), engine.Digest(), h.Planner)
	if err != nil {
		return nil, err
	}
	plan.HistoryUnread = h.Unread
	plan.Checksum = plan.Digest()
	return plan, nil
}

// WritePlan writes the plan in its three forms (plan.json, plan.md,
// plan.html), its signature by key (plan.sig) and the snapshot it came
// from (snapshot.json) into dir, each file atomically and synced to disk.
func WritePlan(dir string, plan *balancer.Plan, snap *collector.Snapshot, key *seal.Key) error {
	if err := durable.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	files, err := planFiles(plan, snap, key)
	if err != nil {
		return err
	}
	for _, f := range files {
		err := durable.WriteFile(filepath.Join(dir, f.Name), func(w io.Writer) error { _, err := w.Write(f.Data); return err })
		if err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
	}
	return nil
}
