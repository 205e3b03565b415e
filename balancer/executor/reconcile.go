package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// Reconcile resolves every unresolved journal entry that no move of this
// executor is carrying out, by locating its VM, at most MaxConcurrent at a
// time:
//   - intent (Move-VM was never sent: started is synced before it is):
//     skipped, cause not_started (a submitted move's intent New has
//     queued again already: see requeueUnsent);
//   - started or unknown: found on the destination, succeeded; back on the
//     source, failed (cause interrupted, the VM held); on a third host,
//     failed (moved_elsewhere); still migrating, or not located (a host
//     unreachable, or no host has it), it stays unknown and its VM blocked,
//     to be retried by Run every ReconcileInterval.
//
// Then the moves queued again from the journal (see New) may start. Only
// journal errors are returned.
func (e *Executor) Reconcile(ctx context.Context) error {
	entries, err := e.journal.Unresolved()
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	sem := make(chan struct{}, e.cfg.MaxConcurrent)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, en := range entries {
		if !e.claim(en) {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := e.reconcileOne(ctx, en.MoveID)
			e.unclaim(en.MoveID)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// What was queued before a restart may go now: the VMs whose outcome
	// is still unknown stay blocked, and their moves are refused as any
	// queued move is.
	e.mu.Lock()
	e.reconciled = true
	e.mu.Unlock()
	e.poke()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	return nil
}

// claim marks an unresolved entry as being reconciled by the caller, and
// its VM as blocked. It is false when a move here is carrying it out or
// someone is reconciling it already.
func (e *Executor) claim(en journal.Entry) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.known[en.MoveID] || e.reconciling[en.MoveID] {
		return false
	}
	e.reconciling[en.MoveID] = true
	if _, ok := e.unresolved[en.MoveID]; !ok {
		e.unresolved[en.MoveID] = en
	}
	return true
}

func (e *Executor) unclaim(id string) {
	e.mu.Lock()
	delete(e.reconciling, id)
	e.broadcastLocked()
	e.mu.Unlock()
}

// sweep reconciles, in the background, every unresolved entry nobody is
// reconciling, each with reconcileLater's backoff: a VM still migrating
// when the daemon starts is located again within seconds, not at the next
// sweep.
func (e *Executor) sweep() {
	e.mu.Lock()
	var todo []journal.Entry
	for _, en := range e.unresolved {
		todo = append(todo, en)
	}
	e.mu.Unlock()
	for _, en := range todo {
		if !e.claim(en) {
			continue
		}
		e.reconcileLater(en)
	}
}

// reconcileLater locates the VM of a move whose outcome was just lost, with
// exponential backoff, up to ReconcileAttempts times, while Run runs. The
// caller has claimed the entry. If it stays unknown, Run's sweep retries it.
func (e *Executor) reconcileLater(en journal.Entry) {
	e.mu.Lock()
	ctx := e.bgCtx
	e.mu.Unlock()
	if ctx == nil {
		e.unclaim(en.MoveID)
		return
	}
	e.bg.Go(func() {
		defer e.unclaim(en.MoveID)
		delay := e.cfg.ReconcileBackoff
		t := time.NewTimer(delay)
		defer t.Stop()
		for attempt := 1; ; attempt++ {
			done, err := e.reconcileOne(ctx, en.MoveID)
			if err != nil {
				e.log.Error("reconcile", "move_id", en.MoveID, "err", err)
			}
			if done || attempt >= e.cfg.ReconcileAttempts {
				return
			}
			t.Reset(delay)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			delay = min(2*delay, 32*e.cfg.ReconcileBackoff)
		}
	})
}

// reconcileOne tries once to learn the outcome of an unresolved move (see
// Reconcile); done reports whether it is now final. The caller has claimed
// it.
func (e *Executor) reconcileOne(ctx context.Context, moveID string) (done bool, err error) {
	en, err := e.journal.Get(moveID)
	if err != nil {
		return false, err
	}
	log := e.log.With("move_id", en.MoveID, "vm", en.VMName, "vm_id", en.VMID, "from", en.From, "to", en.To)
	switch en.State {
	case journal.StateIntent:
		return true, e.resolve(en, journal.StateSkipped, CauseNotStarted, "Move-VM was never sent", "", log)
	case journal.StateStarted:
		if en, err = e.journal.Transition(moveID, journal.StateUnknown, e.cfg.Now(), CauseInterrupted, "the daemon stopped during the migration"); err != nil {
			return false, err
		}
		// Keep Status in step with the journal while the VM stays blocked.
		e.mu.Lock()
		e.unresolved[moveID] = en
		e.mu.Unlock()
	case journal.StateUnknown:
	default: // final already
		e.mu.Lock()
		delete(e.unresolved, moveID)
		e.mu.Unlock()
		return true, nil
	}
	lctx, cancel := context.WithTimeout(ctx, e.cfg.VerifyTimeout)
	loc, lerr := e.mig.Locate(lctx, en.VMID, en.To, en.From)
	cancel()
	switch {
	case lerr != nil:
		log.Info("outcome still unknown: vm not located", "err", lerr)
		return false, nil
	case loc.Migrating:
		log.Info("outcome still unknown: vm is migrating", "host", loc.Host)
		return false, nil
	case strings.EqualFold(loc.Host, en.To):
		return true, e.resolve(en, journal.StateSucceeded, "", "", loc.Host, log)
	case strings.EqualFold(loc.Host, en.From):
		return true, e.resolve(en, journal.StateFailed, CauseInterrupted, "the vm is still on "+loc.Host, loc.Host, log)
	default:
		return true, e.resolve(en, journal.StateFailed, CauseElsewhere, "the vm is on "+loc.Host, loc.Host, log)
	}
}

// resolve journals a reconciled outcome, unblocks the VM and sends the
// reconciled event.
func (e *Executor) resolve(en journal.Entry, s journal.State, cause, msg, host string, log *slog.Logger) error {
	now := e.cfg.Now()
	if _, err := e.journal.Transition(en.MoveID, s, now, cause, msg); err != nil {
		return err
	}
	e.mu.Lock()
	delete(e.unresolved, en.MoveID)
	switch s {
	case journal.StateSucceeded:
		e.lastMoved[en.VMID] = now
	case journal.StateFailed:
		e.held[en.VMID] = now.Add(e.cfg.HoldAfterFailure)
	}
	e.mu.Unlock()
	e.metrics.migrations.WithLabelValues("reconciled_" + string(s)).Inc()
	log.Info("outcome reconciled", "state", s, "cause", cause, "host", host)
	if e.cfg.OnEvent != nil {
		e.cfg.OnEvent(Event{
			Kind: EventReconciled, At: now, MoveID: en.MoveID, PlanID: en.PlanID, VMID: en.VMID, VMName: en.VMName,
			From: en.From, To: en.To, Bytes: en.Bytes, Cause: cause, Err: msg, State: s,
		})
	}
	// Status no longer lists the VM as blocked; Wait sees the move settled
	// once the caller unclaims it, after this event.
	e.mu.Lock()
	e.broadcastLocked()
	e.mu.Unlock()
	e.poke()
	return nil
}
