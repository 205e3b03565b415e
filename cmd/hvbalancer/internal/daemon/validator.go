package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/policy"
)

// validator re-checks a move just before it starts: the VM is still on its
// source and running (asked of the host itself), the destination is still
// healthy, the move is still within the planner's hard limits on the latest
// snapshot with the plan's earlier moves applied (balancer.Recheck, the
// planner's own rule and load model), and the current policy still allows
// it, judged on the projection the planner showed it.
type validator struct {
	guard    *logins.Guard
	latest   func() *collector.Snapshot
	engine   func() *policy.Engine
	settings func() (balancer.Config, *time.Location)
	timeout  time.Duration

	mu       sync.Mutex
	keySnap  *collector.Snapshot // snapshots are immutable: the pointer names one
	keyRules string              // policy digest
	session  *policy.Session
}

var _ executor.Validator = (*validator)(nil)

// Validate implements executor.Validator.
func (v *validator) Validate(ctx context.Context, m balancer.Move, earlier []balancer.Move) error {
	snap := v.latest()
	if snap == nil {
		return fmt.Errorf("%w: no snapshot of the fleet yet", executor.ErrStale)
	}
	dst, ok := snap.Host(m.To)
	switch {
	case !ok:
		return fmt.Errorf("%w: destination %s is no longer in the fleet", executor.ErrStale, m.To)
	case dst.Health != collector.HealthOK:
		return fmt.Errorf("%w: destination %s is %s", executor.ErrStale, m.To, dst.Health)
	case balancer.InMaintenance(dst):
		return fmt.Errorf("%w: destination %s is in maintenance", executor.ErrStale, m.To)
	case !dst.MigrationEnabled:
		return fmt.Errorf("%w: destination %s does not accept live migrations", executor.ErrStale, m.To)
	}
	cctx, cancel := context.WithTimeout(ctx, v.timeout)
	var loc hyperv.VMLocation
	var found bool
	err := v.guard.Call(cctx, m.From, func(c logins.Client) error {
		var err error
		loc, found, err = c.Locate(cctx, m.VM)
		return err
	})
	cancel()
	switch {
	case errors.Is(err, hyperv.ErrInvalidArgument):
		return fmt.Errorf("%w: source %s is not configured", executor.ErrStale, m.From)
	case err != nil:
		return fmt.Errorf("%w: locate %s on %s: %w", executor.ErrStale, m.VMName, m.From, err)
	case !found:
		return fmt.Errorf("%w: %s is no longer on %s", executor.ErrStale, m.VMName, m.From)
	case loc.State != hyperv.VMStateRunning:
		return fmt.Errorf("%w: %s is %s, not running", executor.ErrStale, m.VMName, loc.State)
	case loc.Migrating():
		return fmt.Errorf("%w: %s is already migrating (%s)", executor.ErrStale, m.VMName, loc.Status)
	}
	cfg, tz := v.settings()
	projected, err := balancer.Recheck(snap, cfg, m, earlier)
	if err != nil {
		return fmt.Errorf("%w: %w", executor.ErrStale, err)
	}
	session, err := v.sessionFor(ctx, snap, tz)
	if err != nil {
		return fmt.Errorf("%w: policy: %w", executor.ErrStale, err)
	}
	if session.Frozen(m.VM) {
		return fmt.Errorf("%w: %s is frozen by policy", executor.ErrStale, m.VMName)
	}
	pm := policy.Move{VM: m.VM, From: m.From, To: m.To}
	verdict, err := session.Judge(ctx, pm, projected)
	if err != nil {
		return fmt.Errorf("%w: policy: %w", executor.ErrStale, err)
	}
	if len(verdict.Deny) > 0 {
		return fmt.Errorf("%w: the policy now denies it: %s", executor.ErrStale, strings.Join(verdict.Deny, "; "))
	}
	return nil
}

// sessionFor returns the policy session of the snapshot, made once per snapshot
// and policy.
func (v *validator) sessionFor(ctx context.Context, snap *collector.Snapshot, tz *time.Location) (*policy.Session, error) {
	engine := v.engine()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.session != nil && v.keySnap == snap && v.keyRules == engine.Digest() {
		return v.session, nil
	}
	r, err := engine.Begin(ctx, balancer.PolicyInput(snap, policy.History{}, tz))
	if err != nil {
		return nil, err
	}
	v.keySnap, v.keyRules, v.session = snap, engine.Digest(), r
	return r, nil
}
