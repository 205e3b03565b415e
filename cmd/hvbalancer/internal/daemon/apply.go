package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
)

// ErrMovesFailed marks an Apply in which a move failed or its outcome is
// unknown.
var ErrMovesFailed = errors.New("some moves failed")

// StateQueued is the state Progress shows for a move the journal does not
// hold yet: submitted, not yet decided on.
const StateQueued journal.State = "queued"

// Progress is where one move of a plan being applied stands.
type Progress struct {
	MoveID string
	Move   balancer.Move
	State  journal.State // StateQueued until the journal holds the move
	// Took is how long it has been running (StateStarted) or how long it
	// took (a final state); zero otherwise.
	Took  time.Duration
	Error string
}

// progressEvery is how often Apply reports progress.
const progressEvery = 500 * time.Millisecond

// Apply executes exactly the moves of an approved plan, once, without
// planning: it refuses an expired plan, reconciles the journal, polls the
// fleet (refusing when too few hosts answer), re-checks every move before
// it starts (the executor's validator: a stale move is skipped with its
// reason) and waits for every outcome, calling watch with every move's
// progress every half second and once at the end. The error wraps
// ErrMovesFailed when a move failed or its outcome is unknown, and
// fleet.ErrIncomplete when hosts could not be read.
func (d *Daemon) Apply(ctx context.Context, plan *balancer.Plan, watch func([]Progress)) ([]journal.Entry, error) {
	cfg, _, _ := d.current()
	if d.ha != nil {
		return nil, errApplyHA
	}
	if now := d.fleet.Now(); plan.Expired(now) {
		return nil, fmt.Errorf("plan %s expired at %s", plan.ID, plan.Expires.Format(time.RFC3339))
	}
	if err := d.exec.Reconcile(ctx); err != nil {
		return nil, fmt.Errorf("reconcile the journal: %w", err)
	}
	snap, err := d.col.Poll(ctx) // fresh state for re-validation
	if err != nil {
		return nil, err
	}
	if err := fleet.TooFew(snap, d.fleet.Addrs, cfg.Collector.MinAnsweringShare, "nothing applied"); err != nil {
		return nil, err
	}
	ids, err := d.exec.Submit(plan.ID+"#apply", plan.Moves)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.exec.Run(runCtx) }()
	results, waitErr := d.wait(ctx, ids, plan, watch)
	stop()
	if err := <-done; err != nil && waitErr == nil {
		waitErr = err
	}
	if waitErr != nil {
		return results, waitErr
	}
	failed := 0
	for _, r := range results {
		if r.State == journal.StateFailed || r.State == journal.StateUnknown {
			failed++
		}
	}
	partial := fleet.Incomplete(snap, d.fleet.Addrs, "moves from or to them were skipped")
	if failed > 0 {
		return results, errors.Join(fmt.Errorf("%w: %d of %d", ErrMovesFailed, failed, len(results)), partial)
	}
	return results, partial
}

// wait waits for the moves to end, reporting their progress to watch.
func (d *Daemon) wait(ctx context.Context, ids []string, plan *balancer.Plan, watch func([]Progress)) ([]journal.Entry, error) {
	type result struct {
		es  []journal.Entry
		err error
	}
	done := make(chan result, 1)
	go func() {
		es, err := d.exec.Wait(ctx, ids)
		done <- result{es, err}
	}()
	watch(d.progress(ids, plan))
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			watch(d.progress(ids, plan))
			return r.es, r.err
		case <-tick.C:
			watch(d.progress(ids, plan))
		}
	}
}

// progress reads where each move stands from the journal and the
// executor's in-flight list.
func (d *Daemon) progress(ids []string, plan *balancer.Plan) []Progress {
	running := map[string]time.Duration{}
	for _, f := range d.exec.Status().InFlight {
		running[f.MoveID] = f.Elapsed
	}
	out := make([]Progress, len(ids))
	for i, id := range ids {
		p := Progress{MoveID: id, Move: plan.Moves[i], State: StateQueued}
		if en, err := d.journal.Get(id); err == nil {
			p.State, p.Error = en.State, en.Error
			switch {
			case en.State == journal.StateStarted:
				p.Took = running[id]
			case en.State.Final() && !en.Started.IsZero():
				p.Took = en.Ended.Sub(en.Started)
			}
		}
		out[i] = p
	}
	return out
}
