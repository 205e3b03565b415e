package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// Run is the streaming queue: it starts each queued move as soon as every
// limit allows (the global and both hosts' slots, the token bucket, the
// hosts' circuit breakers, the pause switch), and retries unresolved
// outcomes every ReconcileInterval, until ctx ends. Then no new migration
// starts, and in-flight ones (which run under context.WithoutCancel) are
// waited for up to DrainTimeout; past it their calls are cancelled, their
// outcome journaled as unknown for the next start to reconcile, and Run
// returns ErrDrainTimeout. Queued moves stay queued.
func (e *Executor) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return errors.New("run executor: already running")
	}
	e.running, e.stopping = true, false
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	e.bgCtx = bg
	e.mu.Unlock()
	moves, stopMoves := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		stopMoves()
		stopBG()
		e.bg.Wait()
		e.mu.Lock()
		e.running, e.bgCtx = false, nil
		e.mu.Unlock()
	}()

	e.sweep()
	sweep := time.NewTicker(e.cfg.ReconcileInterval)
	defer sweep.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		var tokens <-chan time.Time
		if wait := e.step(ctx, moves); wait > 0 {
			timer.Reset(wait)
			tokens = timer.C
		}
		select {
		case <-ctx.Done():
		case <-e.wake:
		case <-tokens:
		case <-sweep.C:
			e.sweep()
		}
	}
	e.mu.Lock()
	e.stopping = true // staged evacuations give their turn up (see awaitWire)
	e.broadcastLocked()
	e.mu.Unlock()
	return e.drain(stopMoves)
}

// drain waits for the in-flight moves, up to DrainTimeout; then cancels
// their calls and waits for them to journal it.
func (e *Executor) drain(cancel context.CancelFunc) error {
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	e.mu.Lock()
	n := len(e.inflight)
	e.mu.Unlock()
	if n > 0 {
		e.log.Info("draining in-flight migrations", "in_flight", n, "timeout", e.cfg.DrainTimeout)
	}
	t := time.NewTimer(e.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
	}
	e.mu.Lock()
	n = len(e.inflight)
	e.mu.Unlock()
	e.log.Warn("drain timeout: cancelling the calls of migrations still in flight; their outcome is reconciled by locating the vms", "in_flight", n)
	cancel()
	<-done
	return fmt.Errorf("drain executor: %d migrations still running after %s: %w", n, e.cfg.DrainTimeout, ErrDrainTimeout)
}

// limit is how many migrations may touch host at once: its own
// MaximumVirtualMachineMigrations, capped by PerHostCap.
func (e *Executor) limit(host string) int {
	return min(e.ownLimit(host), e.cfg.PerHostCap)
}

// ownLimit is the host's own MaximumVirtualMachineMigrations.
func (e *Executor) ownLimit(host string) int {
	if l := e.cfg.HostLimit(host); l > 0 {
		return l
	}
	return moves.DefaultMaxMigrations
}

// refusal is a queued move that may not run at all.
type refusal struct {
	j             *job
	cause, reason string
}

// step makes one pass over the queue, evacuations first (see
// evacuation.go), each kind in queue order: it skips the moves that may
// not run at all (VM blocked, held or cooling down, a host's breaker
// open), starts every move the limits allow, and leaves the others queued.
// It returns how long until a token bucket has a token for the next move
// waiting for one, or 0 when nothing waits for a token. A paused executor,
// or one whose ctx ended, does nothing. Moves run under moves.
func (e *Executor) step(ctx, moves context.Context) time.Duration {
	e.mu.Lock()
	if e.paused || ctx.Err() != nil {
		e.mu.Unlock()
		return 0
	}
	now := e.cfg.Now()
	var refused []refusal
	waits := map[*rate.Limiter]time.Duration{}
	left := make(map[*job]bool, len(e.queue))
	for _, j := range e.evacuationsFirstLocked() {
		evac := e.evacuationLocked(j.m)
		bucket := e.limiter
		if evac {
			bucket = e.evac
		}
		if waits[bucket] > 0 || e.waitsLocked(j) {
			left[j] = true
			continue
		}
		if cause, reason := e.vmRefusalLocked(j.m.VM, now); cause != "" {
			refused = append(refused, refusal{j, cause, reason})
			continue
		}
		if reason := e.breakerRefusalLocked(j.m, now); reason != "" {
			refused = append(refused, refusal{j, CauseBreakerOpen, reason})
			continue
		}
		if !e.fitsLocked(j.m, evac, now) {
			left[j] = true
			continue
		}
		r := bucket.ReserveN(now, 1)
		if d := r.DelayFrom(now); !r.OK() || d > 0 {
			r.CancelAt(now)
			waits[bucket] = max(d, time.Millisecond)
			left[j] = true
			continue
		}
		e.startLocked(moves, j, r, now)
		if evac {
			e.metrics.evacuations.Inc()
		}
	}
	rest := make([]*job, 0, len(left))
	for _, j := range e.queue {
		if left[j] {
			rest = append(rest, j)
		}
	}
	e.queue = rest
	e.metrics.queue.Set(float64(len(e.queue)))
	e.mu.Unlock()
	for _, r := range refused {
		e.refuse(r.j, r.cause, r.reason)
	}
	var wait time.Duration
	for _, d := range waits {
		if wait == 0 || d < wait {
			wait = d
		}
	}
	return wait
}

// fitsLocked reports whether the move has a global slot, a slot on both
// hosts (on the source of an evacuation, up to the host's own limit), and
// no half-open trial to wait for. A host's slots are taken by
// the moves in flight and by those whose outcome is not known: a
// migration a killed daemon (or a lost connection) left behind may still
// run on the host, and the host's cap holds for it too.
func (e *Executor) fitsLocked(m moves.Move, evacuation bool, now time.Time) bool {
	from := e.limit(m.From)
	if evacuation {
		from = e.ownLimit(m.From) + evacuationLookahead
	}
	return len(e.inflight) < e.cfg.MaxConcurrent &&
		e.hostBusy[m.From]+e.mayRunLocked(m.From) < from &&
		e.hostBusy[m.To]+e.mayRunLocked(m.To) < e.limit(m.To) &&
		!e.breakerBusyLocked(m, now)
}

// mayRunLocked counts the unresolved moves that may still be migrating to
// or from host: Move-VM was sent (started or unknown) and no move of this
// process holds their slots any more. A move only intended was never sent.
func (e *Executor) mayRunLocked(host string) int {
	n := 0
	for id, en := range e.unresolved {
		if en.State == journal.StateIntent || e.inflight[id] != nil {
			continue
		}
		if strings.EqualFold(en.From, host) || strings.EqualFold(en.To, host) {
			n++
		}
	}
	return n
}

// startLocked gives j its slots and carries it out in its own goroutine.
func (e *Executor) startLocked(ctx context.Context, j *job, r *rate.Reservation, now time.Time) {
	j.started, j.phase, j.res = now, phaseValidating, r
	e.inflight[j.id] = j
	e.begun[j.plan] = append(e.begun[j.plan], j)
	e.hostBusy[j.m.From]++
	e.hostBusy[j.m.To]++
	e.breakerTrialLocked(j, now)
	e.metrics.inFlight.Set(float64(len(e.inflight)))
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer e.release(j)
		e.execute(ctx, j)
	}()
}

// release frees j's slots and forgets it.
func (e *Executor) release(j *job) {
	e.mu.Lock()
	delete(e.inflight, j.id)
	if j.back {
		e.queueBackLocked(j)
	} else {
		delete(e.known, j.id)
	}
	e.hostBusy[j.m.From]--
	e.hostBusy[j.m.To]--
	e.breakerEndTrialLocked(j)
	e.forgetPlanLocked(j.plan)
	e.metrics.inFlight.Set(float64(len(e.inflight)))
	e.broadcastLocked()
	e.mu.Unlock()
	e.poke()
}
