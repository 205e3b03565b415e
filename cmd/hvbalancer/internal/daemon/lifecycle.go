package daemon

import (
	"errors"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// A plan's life: pending (some moves wait for approval) → approved →
// executing → done, partly done or failed once every submitted move has
// ended; or, before approval, superseded by a newer plan or expired; or
// refused when its stored copy no longer matches its digest. A plan whose
// moves all run at once (full automation) starts in executing.

// submitBatch queues some of a plan's moves and records their ids in the
// plan's record, so that the plan can tell when they have all ended.
func (d *Daemon) submitBatch(plan *balancer.Plan, idx []int, batch string) error {
	moves := make([]balancer.Move, len(idx))
	for i, k := range idx {
		moves[i] = plan.Moves[k]
	}
	ids, err := d.exec.Submit(plan.ID+"#"+batch, moves)
	if err != nil {
		return err
	}
	return d.plans.update(plan.ID, func(r *planRecord) error {
		r.MoveIDs = append(r.MoveIDs, ids...)
		return nil
	})
}

// supersede marks every other pending plan as replaced by the plan newer:
// the fleet has changed since they were made, and only the newest
// recommendation may be approved (as DRS replaces its stale ones). The
// moves of theirs that already run are not touched.
func (d *Daemon) supersede(newer string) {
	for _, r := range d.plans.records() {
		if r.ID == newer || r.State != web.PlanPending {
			continue
		}
		err := d.plans.update(r.ID, func(r *planRecord) error {
			if r.State != web.PlanPending {
				return nil
			}
			r.State, r.Pending, r.SupersededBy = web.PlanSuperseded, nil, newer
			return nil
		})
		if err != nil {
			d.log.Error("mark a plan superseded", "plan_id", r.ID, "err", err)
			continue
		}
		d.log.Info("plan superseded", "plan_id", r.ID, "by", newer)
	}
}

// settle gives each plan whose submitted moves have all ended, and that
// waits for no approval, its end state: done when every move succeeded,
// failed when none did, partly done otherwise.
func (d *Daemon) settle(now time.Time) {
	for _, r := range d.plans.records() {
		if r.State != web.PlanApproved && r.State != web.PlanExecuting || len(r.MoveIDs) == 0 {
			continue
		}
		outcomes, ended, begun, err := d.outcomes(r.MoveIDs)
		if err != nil {
			d.log.Error("read a plan's outcomes from the journal", "plan_id", r.ID, "err", err)
			continue
		}
		if !ended {
			if r.State == web.PlanApproved && begun {
				_ = d.plans.update(r.ID, func(r *planRecord) error { r.State = web.PlanExecuting; return nil })
			}
			continue
		}
		state := endState(outcomes, len(r.MoveIDs))
		err = d.plans.update(r.ID, func(r *planRecord) error {
			r.State, r.Outcomes, r.Ended = state, outcomes, now
			return nil
		})
		if err != nil {
			d.log.Error("record a plan's end", "plan_id", r.ID, "err", err)
			continue
		}
		d.log.Info("plan ended", "plan_id", r.ID, "state", state,
			"succeeded", outcomes[journal.StateSucceeded], "failed", outcomes[journal.StateFailed], "skipped", outcomes[journal.StateSkipped])
	}
}

// outcomes reads the moves from the journal once: it counts their final
// states, ended is false while one of them has none yet (not journaled,
// or unresolved), and begun is true once the journal holds any of them.
func (d *Daemon) outcomes(ids []string) (counts map[journal.State]int, ended, begun bool, err error) {
	counts, ended = map[journal.State]int{}, true
	for _, id := range ids {
		e, err := d.journal.Get(id)
		switch {
		case errors.Is(err, journal.ErrNotFound): // queued, not decided on yet
			ended = false
			continue
		case err != nil:
			return nil, false, false, err
		}
		begun = true
		if !e.State.Final() {
			ended = false
			continue
		}
		counts[e.State]++
	}
	return counts, ended, begun, nil
}

// endState is a plan's state once its n submitted moves have ended.
func endState(outcomes map[journal.State]int, n int) web.PlanState {
	switch ok := outcomes[journal.StateSucceeded]; {
	case ok == n:
		return web.PlanDone
	case ok == 0:
		return web.PlanFailed
	}
	return web.PlanPartlyDone
}

// approvable says why a plan in record r cannot be approved, or nil.
func approvable(r *planRecord, plan *balancer.Plan, now time.Time) error {
	switch {
	case r.State == web.PlanSuperseded:
		return fmt.Errorf("%w: plan %s was superseded by plan %s: the fleet has changed since; approve %s instead",
			errPlanConflict, r.ID, r.SupersededBy, r.SupersededBy)
	case r.State == web.PlanPending && plan.Expired(now):
		return fmt.Errorf("%w: plan %s expired at %s", errPlanConflict, r.ID, plan.Expires.Format(time.RFC3339))
	case r.State != web.PlanPending:
		return fmt.Errorf("%w: plan %s is %s", errPlanConflict, r.ID, r.State)
	}
	return nil
}
