package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// InFlight is one move holding slots.
type InFlight struct {
	MoveID, PlanID, VMID, VMName, From, To string
	Phase                                  string // validating, comparing, migrating or verifying
	Elapsed                                time.Duration
	Bytes                                  int64
}

// QueuedMove is a move waiting for its turn.
type QueuedMove struct {
	MoveID, PlanID string
	Move           moves.Move
	Waited         time.Duration
	// Resumed is true for a move queued before a restart and queued again
	// from the journal; Held while it waits for Reconcile and ResumeQueued.
	Resumed, Held bool
}

// BreakerStatus is one host's circuit breaker.
type BreakerStatus struct {
	Host      string
	State     string    // closed, open or half-open
	Failures  int       // consecutive failed migrations touching the host
	OpenUntil time.Time // when an open breaker lets a trial move through
}

// BlockedVM is a VM that may not move until its last move's outcome is
// learned by locating it.
type BlockedVM struct {
	VMID, VMName, MoveID string
	State                journal.State // intent, started or unknown
}

// Status is what the executor is doing. Lists are sorted.
type Status struct {
	InFlight []InFlight
	Queued   []QueuedMove // in queue order
	Paused   bool
	Reason   string
	Breakers []BreakerStatus // hosts with failures; a host not listed is closed
	Blocked  []BlockedVM
}

// Status returns the executor's state now.
func (e *Executor) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	st := Status{Paused: e.paused, Reason: e.reason}
	for _, j := range e.inflight {
		st.InFlight = append(st.InFlight, InFlight{
			MoveID: j.id, PlanID: j.plan, VMID: j.m.VM, VMName: j.m.VMName, From: j.m.From, To: j.m.To,
			Phase: j.phase, Elapsed: now.Sub(j.started), Bytes: j.m.Bytes,
		})
	}
	sort.Slice(st.InFlight, func(a, b int) bool { return st.InFlight[a].MoveID < st.InFlight[b].MoveID })
	for _, j := range e.queue {
		st.Queued = append(st.Queued, QueuedMove{MoveID: j.id, PlanID: j.plan, Move: j.m, Waited: now.Sub(j.queued),
			Resumed: j.resumed, Held: e.waitsLocked(j)})
	}
	for h, b := range e.breakers {
		if b.failures > 0 {
			st.Breakers = append(st.Breakers, BreakerStatus{Host: h, State: b.state(now, e.cfg.BreakerThreshold), Failures: b.failures, OpenUntil: b.until})
		}
	}
	sort.Slice(st.Breakers, func(a, b int) bool { return st.Breakers[a].Host < st.Breakers[b].Host })
	for _, en := range e.unresolved {
		st.Blocked = append(st.Blocked, BlockedVM{VMID: en.VMID, VMName: en.VMName, MoveID: en.MoveID, State: en.State})
	}
	sort.Slice(st.Blocked, func(a, b int) bool { return st.Blocked[a].MoveID < st.Blocked[b].MoveID })
	return st
}

// Wait returns the journal entries of the moves once each is settled:
// final (succeeded, failed or skipped), or unknown with no attempt to
// locate its VM left running (it stays blocked until Reconcile or Run's
// periodic retry resolves it), and no longer carried out or located here,
// so that OnEvent has had every event of the outcome Wait returns. It
// returns early when ctx ends.
func (e *Executor) Wait(ctx context.Context, moveIDs []string) ([]journal.Entry, error) {
	for {
		e.mu.Lock()
		ch := e.changed
		e.mu.Unlock()
		out, done, err := e.settled(moveIDs)
		if err != nil || done {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for moves: %w", ctx.Err())
		case <-ch:
		}
	}
}

// settled reads the moves' entries and says whether all are settled.
func (e *Executor) settled(ids []string) ([]journal.Entry, bool, error) {
	out := make([]journal.Entry, 0, len(ids))
	for _, id := range ids {
		// Whoever journals a move's outcome holds it (known, or
		// reconciling) until it has sent the outcome's event. The holds
		// are read on both sides of the journal: an entry read as unknown
		// may be resolved and let go before the second look, and only a
		// move nobody held at the first is settled in the state read.
		wasIdle := e.idle(id)
		en, err := e.journal.Get(id)
		e.mu.Lock()
		known, locating := e.known[id], e.reconciling[id]
		e.mu.Unlock()
		switch {
		case errors.Is(err, journal.ErrNotFound) && !known:
			// Journaled just now, between Get and the lock?
			if en, err = e.journal.Get(id); errors.Is(err, journal.ErrNotFound) {
				return nil, false, fmt.Errorf("wait for %s: %w", id, ErrUnknownMove)
			}
			if err != nil {
				return nil, false, fmt.Errorf("wait for moves: %w", err)
			}
			return nil, false, nil
		case errors.Is(err, journal.ErrNotFound):
			return nil, false, nil
		case err != nil:
			return nil, false, fmt.Errorf("wait for moves: %w", err)
		case (en.State.Final() || en.State == journal.StateUnknown) && wasIdle && !locating && !known:
			out = append(out, en)
		default:
			return nil, false, nil
		}
	}
	return out, true, nil
}

// idle reports whether no move here is carrying out or locating move id.
func (e *Executor) idle(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.known[id] && !e.reconciling[id]
}
