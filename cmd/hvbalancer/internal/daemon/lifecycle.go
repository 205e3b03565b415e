package daemon

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// A plan's life: pending (some moves wait for approval) → approved →
// executing → done, partly done or failed once every submitted move has
// ended; or, before approval, superseded by a newer plan or expired; or
// refused when its stored copy no longer matches its digest. A plan whose
// moves all run at once (full automation) starts in executing.

// submitBatch queues some of a plan's moves and records their ids in the
// plan's record, so that the plan can tell when they have all ended. The
// batch is recorded before the executor journals its moves and marked
// submitted after: a stop in between leaves a batch that the next start
// submits again (see submitAgain).
func (d *Daemon) submitBatch(plan *balancer.Plan, idx []int, batch string) error {
	err := d.plans.update(plan.ID, func(r *planRecord) error { addBatch(r, plan.ID, batch, idx); return nil })
	if err != nil {
		return err
	}
	return d.submit(plan, batch, idx)
}

// addBatch records in r a batch of plan id's moves (indexes idx), not yet
// submitted, with their move ids.
func addBatch(r *planRecord, id, batch string, idx []int) {
	name := id + "#" + batch
	ids := make([]string, len(idx))
	for i := range idx {
		ids[i] = executor.MoveID(name, i)
	}
	// New slices and maps: readers hold copies of the old record.
	r.MoveIDs = append(r.MoveIDs[:len(r.MoveIDs):len(r.MoveIDs)], ids...)
	r.Batches = maps.Clone(r.Batches)
	if r.Batches == nil {
		r.Batches = map[string]*planBatch{}
	}
	r.Batches[batch] = &planBatch{Moves: idx}
}

// submit hands a recorded batch of the plan's moves to the executor, which
// journals them, and marks the batch submitted.
func (d *Daemon) submit(plan *balancer.Plan, batch string, idx []int) error {
	moves := make([]balancer.Move, len(idx))
	for i, k := range idx {
		if k < 0 || k >= len(plan.Moves) {
			return fmt.Errorf("submit plan %s: no move %d", plan.ID, k)
		}
		moves[i] = plan.Moves[k]
	}
	if _, err := d.exec.Submit(plan.ID+"#"+batch, moves); err != nil {
		return err
	}
	return d.plans.update(plan.ID, func(r *planRecord) error {
		if b := r.Batches[batch]; b != nil {
			c := *b
			c.Submitted = true
			r.Batches = maps.Clone(r.Batches)
			r.Batches[batch] = &c
		}
		return nil
	})
}

// submitAgain submits the batches of a plan that were recorded but not
// marked submitted: the daemon stopped between the two. Submit skips every
// move id journaled already, so nothing runs twice.
func (d *Daemon) submitAgain(r planRecord) {
	var plan *balancer.Plan
	for batch, b := range r.Batches {
		if b.Submitted {
			continue
		}
		if plan == nil {
			var err error
			if plan, err = d.plans.leadPlan(r.ID); err != nil {
				d.log.Error("read a plan to submit its moves again", "plan_id", r.ID, "err", err)
				return
			}
		}
		if err := d.submit(plan, batch, b.Moves); err != nil {
			d.log.Error("submit a plan's moves again", "plan_id", r.ID, "batch", batch, "err", err)
			continue
		}
		d.log.Info("plan's moves submitted again after a stop", "plan_id", r.ID, "batch", batch, "moves", len(b.Moves))
	}
}

// supersede marks every other pending plan as replaced by the plan newer:
// the fleet has changed since they were made, and only the newest
// recommendation may be approved (as DRS replaces its stale ones). The
// moves of theirs that already run are not touched.
func (d *Daemon) supersede(newer string) {
	for _, r := range d.plans.leadRecords() {
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

// settle lets the executor resume what it queued again from the journal
// after a restart, records how far each approved or executing plan has
// got, and gives each plan whose submitted moves have all ended, and that
// waits for no approval, its end state: done when every move succeeded,
// failed when none did, partly done otherwise.
func (d *Daemon) settle(now time.Time) {
	d.exec.ResumeQueued()
	resumed := map[string]int{}
	for _, q := range d.exec.Status().Queued {
		if q.Resumed {
			plan, _, _ := strings.Cut(q.PlanID, "#")
			resumed[plan]++
		}
	}
	for _, r := range d.plans.leadRecords() {
		if r.State != web.PlanApproved && r.State != web.PlanExecuting || len(r.MoveIDs) == 0 {
			continue
		}
		p, err := d.journalProgress(r.MoveIDs)
		if err != nil {
			d.log.Error("read a plan's outcomes from the journal", "plan_id", r.ID, "err", err)
			continue
		}
		if p.missing > 0 {
			d.submitAgain(r)
		}
		if !p.ended() {
			d.recordProgress(r, p, resumed[r.ID])
			continue
		}
		state := endState(p.outcomes, len(r.MoveIDs))
		err = d.plans.update(r.ID, func(r *planRecord) error {
			r.State, r.Outcomes, r.Ended = state, p.outcomes, now
			r.Progress = &planProgress{Resumed: r.Progress.resumed()}
			return nil
		})
		if err != nil {
			d.log.Error("record a plan's end", "plan_id", r.ID, "err", err)
			continue
		}
		d.log.Info("plan ended", "plan_id", r.ID, "state", state,
			"succeeded", p.outcomes[journal.StateSucceeded], "failed", p.outcomes[journal.StateFailed], "skipped", p.outcomes[journal.StateSkipped])
	}
}

// recordProgress records, when it changed, how far a plan that has not
// ended has got: an approved plan becomes executing once one of its moves
// has started; resumed counts its moves queued again after a restart.
func (d *Daemon) recordProgress(r planRecord, p moveProgress, resumed int) {
	state := r.State
	if state == web.PlanApproved && p.begun {
		state = web.PlanExecuting
	}
	prog := &planProgress{Running: p.running, Queued: p.queued + p.missing, Resumed: max(resumed, r.Progress.resumed())}
	if state == r.State && maps.Equal(p.outcomes, r.Outcomes) && r.Progress != nil && *prog == *r.Progress {
		return
	}
	err := d.plans.update(r.ID, func(r *planRecord) error {
		if r.State != web.PlanApproved && r.State != web.PlanExecuting {
			return nil // changed meanwhile
		}
		if p.begun {
			r.State = web.PlanExecuting
		}
		r.Outcomes, r.Progress = p.outcomes, prog
		return nil
	})
	if err != nil {
		d.log.Error("record a plan's progress", "plan_id", r.ID, "err", err)
	}
}

// moveProgress is where a plan's submitted moves stand in the journal.
type moveProgress struct {
	outcomes        map[journal.State]int // final states
	running, queued int                   // decided on but not ended; waiting for their turn
	missing         int                   // recorded in the plan but not in the journal
	begun           bool                  // one of them left the queue
}

func (p moveProgress) ended() bool { return p.running == 0 && p.queued == 0 && p.missing == 0 }

// journalProgress reads the moves from the journal once.
func (d *Daemon) journalProgress(ids []string) (moveProgress, error) {
	p := moveProgress{outcomes: map[journal.State]int{}}
	for _, id := range ids {
		e, err := d.journal.Get(id)
		switch {
		case errors.Is(err, journal.ErrNotFound):
			p.missing++
			continue
		case err != nil:
			return p, err
		}
		switch {
		case e.State == journal.StateQueued:
			p.queued++
			continue
		case e.State.Final():
			p.outcomes[e.State]++
		default:
			p.running++
		}
		p.begun = true
	}
	return p, nil
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

// progressText says how far a plan's submitted moves have got, e.g. "1 of
// 7 moves ended (1 succeeded), 1 running, 5 queued; 6 resumed after a
// restart".
func progressText(r planRecord) string {
	o := r.Outcomes
	ended := o[journal.StateSucceeded] + o[journal.StateFailed] + o[journal.StateSkipped]
	s := fmt.Sprintf("%d of %d moves ended", ended, len(r.MoveIDs))
	if ended > 0 {
		s += fmt.Sprintf(" (%d succeeded, %d failed, %d skipped)", o[journal.StateSucceeded], o[journal.StateFailed], o[journal.StateSkipped])
	}
	if p := r.Progress; p != nil {
		s += fmt.Sprintf(", %d running, %d queued", p.Running, p.Queued)
		if p.Resumed > 0 {
			s += fmt.Sprintf("; %d resumed after a restart", p.Resumed)
		}
	}
	return s
}
