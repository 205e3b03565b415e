package daemon

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

func (d *Daemon) setRound(r roundRecord) {
	d.stateMu.Lock()
	prev, prevErr := d.lastRound.Result, d.lastRound.Error
	d.lastRound = r
	d.stateMu.Unlock()
	d.metrics.rounds.WithLabelValues(string(r.Result)).Inc()
	switch {
	case r.Error != "" && (r.Result != prev || r.Error != prevErr):
		d.log.Warn("round", "result", r.Result, "err", clip(r.Error))
	case r.Error != "": // the same failure as the last round's: said already
		d.log.Debug("round", "result", r.Result, "err", clip(r.Error))
	case r.PlanID != "":
		d.log.Info("round", "result", r.Result, "plan_id", r.PlanID)
	case r.Result != prev:
		d.log.Info("round", "result", r.Result)
	default: // the same quiet result as the last round: balanced, busy, ...
		d.log.Debug("round", "result", r.Result)
	}
}

// roundOnce is one round: it plans and acts on the plan.
func (d *Daemon) roundOnce(ctx context.Context) roundRecord {
	cfg, engine, planner := d.current()
	now := d.fleet.Now()
	d.plans.expire(now)
	d.settle(now)
	d.prune(now)
	snap := d.latest() // with the API's maintenance
	if snap == nil {
		return roundRecord{At: now, Result: RoundNoSnapshot}
	}
	if ok, why := fleet.Answering(snap, cfg.Collector.MinAnsweringShare); !ok {
		// Too partial a view: moves chosen now could pile onto hosts
		// whose load is unknown, or leave a hot one unseen.
		return roundRecord{At: now, Result: RoundTooFewHosts, Error: why}
	}
	if st := d.exec.Status(); len(st.InFlight) > 0 || len(st.Queued) > 0 {
		// One plan at a time: the VMs of the last one have not all landed,
		// and a plan made now would see them where they were.
		return roundRecord{At: now, Result: RoundBusy}
	}
	history, hist, landed, err := d.history(now, cfg.Planner.RefusalMemory)
	if err != nil {
		return roundRecord{At: now, Result: RoundFailed, Error: err.Error()}
	}
	if !snap.Taken.After(landed) {
		// The newest snapshot was taken before the last migration ended:
		// it may still show the VM where it was.
		return roundRecord{At: now, Result: RoundWaiting}
	}
	start := time.Now()
	// Started, not begun: the planner prepares its search while the
	// policy's requests evaluate, and fails with them (balancer.Waiter).
	session, err := engine.Start(ctx, balancer.PolicyInput(snap, history, cfg.Location()))
	if err != nil {
		d.metrics.policySeconds.Observe(time.Since(start).Seconds())
	} else {
		go func() { // the session rules' time, requests included
			_ = session.Wait(ctx) // the plan reports its error
			d.metrics.policySeconds.Observe(time.Since(start).Seconds())
		}()
	}
	var plan *balancer.Plan
	if err == nil {
		rules := evacuationRules(session, PlannerConfig(cfg), snap, !d.enoughSamples(cfg))
		plan, err = planner.Plan(ctx, snap, rules, engine.Digest(), hist)
	}
	d.metrics.planSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		d.metrics.observePolicyError(err)
		return roundRecord{At: now, Result: RoundFailed, Error: err.Error()}
	}
	d.metrics.observePlan(plan)
	if len(plan.Moves) == 0 {
		return roundRecord{At: now, Result: quietResult(plan)}
	}
	if id := d.samePending(plan); id != "" {
		return roundRecord{At: now, Result: RoundUnchanged, PlanID: id}
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
	if err := ctx.Err(); err != nil { // abandoned: a late round stores and runs nothing
		return roundRecord{At: now, Result: RoundFailed, Error: err.Error()}
	}
	if err := d.plans.save(plan, snap, rec); err != nil {
		return roundRecord{At: now, Result: RoundFailed, PlanID: plan.ID, Error: err.Error()}
	}
	if rec.State == web.PlanPending {
		d.supersede(plan.ID)
	}
	if len(now1) > 0 {
		if err := d.submitBatch(plan, now1, "auto"); err != nil {
			return roundRecord{At: now, Result: RoundFailed, PlanID: plan.ID, Error: err.Error()}
		}
	}
	return roundRecord{At: now, Result: RoundPlanned, PlanID: plan.ID}
}

// samePending returns the id of a pending plan with exactly these moves, so
// that a fleet waiting for approval does not pile up identical plans.
func (d *Daemon) samePending(p *balancer.Plan) string {
	key := movesKey(p.Moves)
	for _, r := range d.plans.leadRecords() {
		if r.State != web.PlanPending {
			continue
		}
		if old, err := d.plans.leadPlan(r.ID); err == nil && movesKey(old.Moves) == key {
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
