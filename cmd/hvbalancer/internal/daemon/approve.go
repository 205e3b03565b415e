package daemon

import (
	"errors"
	"fmt"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// approve submits the pending moves of a plan that is still pending: not
// superseded by a newer plan, not expired. A plan whose stored copy fails
// its digest or its signature is refused for good.
func (d *Daemon) approve(id, by string) error {
	plan, err := d.plans.signedPlan(id)
	if errors.Is(err, balancer.ErrTamperedPlan) {
		_ = d.plans.update(id, func(r *planRecord) error { r.State, r.Pending = web.PlanRefused, nil; return nil })
		d.log.Error("plan refused: its stored copy does not match its digest or signature", "plan_id", id, "err", err)
		return fmt.Errorf("%w: plan %s is refused: %w", errPlanConflict, id, err)
	}
	if errors.Is(err, etcdjournal.ErrTermEnded) {
		return fmt.Errorf("approve plan %s: this daemon stopped leading before it read the plan, so the approval was not recorded: approve it through the next leader: %w: %w", id, err, web.ErrUnavailable)
	}
	if err != nil {
		return err
	}
	now := d.fleet.Now()
	var pending []int
	// The approval and its batch are one write: an approval recorded is
	// one whose moves are recorded too, which the leader (this daemon, or
	// the next) submits again if they are not journaled (settle).
	err = d.plans.update(id, func(r *planRecord) error {
		if err := approvable(r, plan, now); err != nil {
			return err
		}
		pending = r.Pending
		r.State, r.Pending, r.ApprovedBy, r.ApprovedAt = web.PlanApproved, nil, by, now
		addBatch(r, plan.ID, approvedBatch, pending)
		return nil
	})
	if errors.Is(err, errNotRecorded) && errors.Is(err, etcdjournal.ErrTermEnded) {
		return fmt.Errorf("approve plan %s: this daemon stopped leading before it read the plan's record, so the approval was not recorded: approve it through the next leader: %w: %w", id, err, web.ErrUnavailable)
	}
	if errors.Is(err, etcdjournal.ErrTermEnded) {
		return fmt.Errorf("approve plan %s: this daemon stopped leading before etcd answered, so the approval may or may not be recorded (if it is, the next leader runs its moves): read the plan's state before approving again: %w", id, err)
	}
	if err != nil {
		return err
	}
	d.log.Info("plan approved", "plan_id", id, "by", by, "moves", len(pending))
	return d.submit(plan, approvedBatch, pending)
}

// approvedBatch names the batch of a plan's moves an approval submits.
const approvedBatch = "approved"
