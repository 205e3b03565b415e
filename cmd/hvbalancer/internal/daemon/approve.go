package daemon

import (
	"errors"
	"fmt"

	"github.com/hvbalancer/hvbalancer/balancer"
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
	if err != nil {
		return err
	}
	now := d.fleet.Now()
	var pending []int
	err = d.plans.update(id, func(r *planRecord) error {
		if err := approvable(r, plan, now); err != nil {
			return err
		}
		pending = r.Pending
		r.State, r.Pending, r.ApprovedBy, r.ApprovedAt = web.PlanApproved, nil, by, now
		return nil
	})
	if err != nil {
		return err
	}
	d.log.Info("plan approved", "plan_id", id, "by", by, "moves", len(pending))
	return d.submitBatch(plan, pending, "approved")
}
