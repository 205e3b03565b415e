package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// daemon is `hvbalancer run`: it samples the fleet, plans every round, and
// executes or stores the plans as its automation level says.
type daemon struct {
	log     *slog.Logger
	cfgPath string
	fleet   *fleet
	col     *collector.Collector
	journal *journal.Journal
	exec    *executor.Executor
	plans   *planStore
	metrics *daemonMetrics

	mu      sync.RWMutex // guards what a reload replaces
	cfg     *config.Config
	engine  *policy.Engine
	planner *balancer.Planner

	stateMu   sync.Mutex
	lastRound roundResult
}

// roundResult is what the last round did.
type roundResult struct {
	At     time.Time `json:"at,omitzero"`
	Result string    `json:"result,omitempty"` // planned, balanced, unchanged, busy, failed, no snapshot, too few hosts
	PlanID string    `json:"plan_id,omitempty"`
	Error  string    `json:"error,omitempty"`
}

func (d *daemon) current() (*config.Config, *policy.Engine, *balancer.Planner) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.cfg, d.engine, d.planner
}

func (d *daemon) setRound(r roundResult) {
	d.stateMu.Lock()
	prev, prevErr := d.lastRound.Result, d.lastRound.Error
	d.lastRound = r
	d.stateMu.Unlock()
	d.metrics.rounds.WithLabelValues(r.Result).Inc()
	switch {
	case r.Error != "" && (r.Result != prev || r.Error != prevErr):
		d.log.Warn("round", "result", r.Result, "err", r.Error)
	case r.Error != "": // the same failure as the last round's: said already
		d.log.Debug("round", "result", r.Result, "err", r.Error)
	case r.PlanID != "" || r.Result != prev:
		d.log.Info("round", "result", r.Result, "plan_id", r.PlanID)
	default: // the same quiet result as the last round: balanced, busy, ...
		d.log.Debug("round", "result", r.Result)
	}
}

// round plans once and acts on the plan.
func (d *daemon) round(ctx context.Context) {
	cfg, engine, planner := d.current()
	now := d.fleet.now()
	d.plans.expire(now)
	snap := d.col.Latest()
	if snap == nil {
		d.setRound(roundResult{At: now, Result: "no snapshot"})
		return
	}
	if ok, why := answering(snap, cfg.Collector.MinAnsweringShare); !ok {
		// Too partial a view: moves chosen now could pile onto hosts
		// whose load is unknown, or leave a hot one unseen.
		d.setRound(roundResult{At: now, Result: "too few hosts", Error: why})
		return
	}
	if st := d.exec.Status(); len(st.InFlight) > 0 || len(st.Queued) > 0 {
		// One plan at a time: the VMs of the last one have not all landed,
		// and a plan made now would see them where they were.
		d.setRound(roundResult{At: now, Result: "busy"})
		return
	}
	history, recent, err := d.history(now)
	if err != nil {
		d.setRound(roundResult{At: now, Result: "failed", Error: err.Error()})
		return
	}
	start := time.Now()
	round, err := engine.Begin(ctx, balancer.PolicyInput(snap, history, cfg.Location()))
	d.metrics.policySeconds.Observe(time.Since(start).Seconds())
	var plan *balancer.Plan
	if err == nil {
		plan, err = planner.Plan(ctx, snap, round, engine.Digest(), recent)
	}
	d.metrics.planSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		d.setRound(roundResult{At: now, Result: "failed", Error: err.Error()})
		return
	}
	d.metrics.observePlan(plan)
	if len(plan.Moves) == 0 {
		d.setRound(roundResult{At: now, Result: "balanced"})
		return
	}
	if id := d.samePending(plan); id != "" {
		d.setRound(roundResult{At: now, Result: "unchanged", PlanID: id})
		return
	}
	rec := planRecord{ID: plan.ID, Created: plan.Created, Expires: plan.Expires, Moves: len(plan.Moves), State: web.PlanExecuting}
	var now1, later []int
	for i, m := range plan.Moves {
		switch {
		case cfg.Automation == config.AutomationFull, cfg.Automation == config.AutomationPartial && m.Trigger == balancer.TriggerRequest:
			now1 = append(now1, i)
		default:
			later = append(later, i)
		}
	}
	if len(later) > 0 {
		rec.State, rec.Pending = web.PlanPending, later
	}
	if err := d.plans.save(plan, snap, rec); err != nil {
		d.setRound(roundResult{At: now, Result: "failed", PlanID: plan.ID, Error: err.Error()})
		return
	}
	if len(now1) > 0 {
		if err := d.submit(plan, now1, "auto"); err != nil {
			d.setRound(roundResult{At: now, Result: "failed", PlanID: plan.ID, Error: err.Error()})
			return
		}
	}
	d.setRound(roundResult{At: now, Result: "planned", PlanID: plan.ID})
}

// submit queues some of a plan's moves. Each batch of a plan is submitted
// under its own name, so the executor's move ids (name/index) never repeat.
func (d *daemon) submit(plan *balancer.Plan, idx []int, batch string) error {
	moves := make([]balancer.Move, len(idx))
	for i, k := range idx {
		moves[i] = plan.Moves[k]
	}
	_, err := d.exec.Submit(plan.ID+"#"+batch, moves)
	return err
}

// samePending returns the id of a pending plan with exactly these moves, so
// that a fleet waiting for approval does not pile up identical plans.
func (d *daemon) samePending(p *balancer.Plan) string {
	key := movesKey(p.Moves)
	for _, r := range d.plans.records() {
		if r.State != web.PlanPending {
			continue
		}
		if old, err := d.plans.plan(r.ID); err == nil && movesKey(old.Moves) == key {
			return r.ID
		}
	}
	return ""
}

func movesKey(ms []balancer.Move) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s>%s>%s;", m.VM, m.From, m.To)
	}
	return b.String()
}

// history turns the journal into the policy's history (the last day) and
// the planner's cooldown input.
func (d *daemon) history(now time.Time) (policy.History, map[string]time.Time, error) {
	var h policy.History
	since := now.Add(-24 * time.Hour)
	entries, err := d.journal.Entries(500, func(e journal.Entry) bool { return e.Intent.After(since) })
	if err != nil {
		return h, nil, err
	}
	for _, e := range entries {
		ev := policy.Event{VM: e.VMID, From: e.From, To: e.To, At: e.Ended.Format(time.RFC3339)}
		switch e.State {
		case journal.StateSucceeded:
			h.Moves = append(h.Moves, ev)
		case journal.StateFailed:
			ev.Error = e.Error
			h.Failures = append(h.Failures, ev)
		}
	}
	recent, err := d.journal.LastMoved()
	return h, recent, err
}

// approve submits the pending moves of a plan that has not expired.
func (d *daemon) approve(id, by string) error {
	plan, err := d.plans.plan(id)
	if err != nil {
		return err
	}
	now := d.fleet.now()
	var pending []int
	err = d.plans.update(id, func(r *planRecord) error {
		switch {
		case r.State != web.PlanPending:
			return fmt.Errorf("%w: plan %s is %s", errPlanConflict, id, r.State)
		case plan.Expired(now):
			r.State = web.PlanExpired
			return fmt.Errorf("%w: plan %s expired at %s", errPlanConflict, id, plan.Expires.Format(time.RFC3339))
		}
		pending = r.Pending
		r.State, r.Pending, r.ApprovedBy, r.ApprovedAt = web.PlanApproved, nil, by, now
		return nil
	})
	if err != nil {
		return err
	}
	d.log.Info("plan approved", "plan_id", id, "by", by, "moves", len(pending))
	return d.submit(plan, pending, "approved")
}

// pauseFile returns the file whose presence pauses the executor.
func (d *daemon) pauseFile() string {
	cfg, _, _ := d.current()
	return cfg.Executor.PauseFile
}

// pause pauses the executor and leaves the pause file, so that a restart
// stays paused.
func (d *daemon) pause(reason string) error {
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
func (d *daemon) resume() error {
	if err := os.Remove(d.pauseFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("resume: %w", err)
	}
	d.exec.Resume()
	return nil
}

// syncPause follows the pause file: an administrator may create or delete
// it by hand.
func (d *daemon) syncPause() {
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
func (d *daemon) reload() error {
	cfg, err := config.Load(d.cfgPath)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	old, oldEngine, _ := d.current()
	engine := oldEngine
	if cfg.Policy != old.Policy {
		if engine, err = loadPolicy(cfg, d.log); err != nil {
			return fmt.Errorf("reload: %w", err)
		}
	} else if _, err := engine.Reload(); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	planner, err := balancer.NewPlanner(plannerConfig(cfg), d.log)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if (cfg.Simulator == nil) != (old.Simulator == nil) || cfg.Simulator != nil && *cfg.Simulator != *old.Simulator {
		d.log.Warn("reload: a change between simulator and real hosts, or of the simulator, takes effect at the next restart")
	} else {
		targets, err := d.fleet.reload(cfg)
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
