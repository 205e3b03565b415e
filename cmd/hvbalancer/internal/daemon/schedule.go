package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// A round runs on its own goroutine under the round deadline, so that
// nothing a round waits for (a policy that evaluates for minutes, a slow
// journal) holds up the pause file, the pause API, reload or SIGHUP, which
// the control loop serves meanwhile. A round over its deadline is
// abandoned: its context is cancelled, the status and /readyz say so, and
// rounds_total counts it. Only one round runs at a time: the next waits
// until an abandoned one has returned.

// roundState is the round under way and the last abandoned one.
type roundState struct {
	since    time.Time     // wall clock; zero when no round is under way
	deadline time.Duration // of the round under way
	// abandoned is set when a round is abandoned and cleared when a round
	// completes; returned says whether the abandoned round has returned.
	abandoned *abandonedRound
}

// abandonedRound is a round abandoned over its deadline.
type abandonedRound struct {
	at       time.Time // the fleet's clock when it began
	deadline time.Duration
	returned bool
}

// rounds runs a round every round interval, once the window holds enough
// samples, until ctx ends.
func (d *Daemon) rounds(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.maint.wake: // maintenance entered or ended: evacuate now
		}
		cfg, _, _ := d.current()
		if !d.enoughSamples(cfg) && !evacuationReady(d.latest()) {
			timer.Reset(time.Second)
			continue
		}
		if !d.runRound(ctx, cfg.RoundDeadline) {
			return
		}
		cfg, _, _ = d.current() // a reload may have changed the interval meanwhile
		timer.Reset(d.nextRound(cfg))
	}
}

// runRound runs one round on its own goroutine and waits for it until its
// deadline; past it the round is abandoned, and runRound waits on until it
// returns, so that two rounds never run at once. It returns false when ctx
// ended.
func (d *Daemon) runRound(ctx context.Context, deadline time.Duration) bool {
	rctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	began, at := time.Now(), d.fleet.Now()
	d.stateMu.Lock()
	d.roundState.since, d.roundState.deadline = began, deadline
	d.stateMu.Unlock()
	defer func() {
		d.stateMu.Lock()
		d.roundState.since = time.Time{}
		d.stateMu.Unlock()
	}()
	done := make(chan roundRecord, 1)
	go func() { done <- d.roundOnce(rctx) }()
	var r roundRecord
	returned := false
	select {
	case r = <-done:
		returned = true
	case <-rctx.Done():
	}
	if ctx.Err() != nil { // stopping: let the round see its context end
		if !returned {
			<-done
		}
		return false
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		d.abandon(at, deadline, time.Since(began))
		if !returned {
			<-done // cancelled: it returns as soon as what it waits for honours that
			d.stateMu.Lock()
			if a := d.roundState.abandoned; a != nil {
				a.returned = true
			}
			d.stateMu.Unlock()
			d.log.Info("abandoned round returned", "began", at, "took", time.Since(began).Round(time.Millisecond))
		}
		return ctx.Err() == nil
	}
	r.Took = time.Since(began)
	d.stateMu.Lock()
	d.roundState.abandoned = nil
	d.stateMu.Unlock()
	d.setRound(r)
	d.metrics.awaiting.Set(float64(d.plans.count(web.PlanPending)))
	return true
}

// abandon records a round abandoned over its deadline.
func (d *Daemon) abandon(at time.Time, deadline, took time.Duration) {
	d.stateMu.Lock()
	d.roundState.abandoned = &abandonedRound{at: at, deadline: deadline}
	d.stateMu.Unlock()
	d.setRound(roundRecord{
		At: at, Took: took, Result: RoundAbandoned,
		Error: fmt.Sprintf("the round ran over its deadline of %s (round_deadline) and was abandoned", deadline),
	})
}

// roundReadiness says why the rounds keep the daemon from being ready, or
// "" when they do not: a round abandoned over its deadline that has not
// returned (no round runs until it does), or one that has, until a round
// completes.
func (d *Daemon) roundReadiness() string {
	d.stateMu.Lock()
	defer d.stateMu.Unlock()
	a := d.roundState.abandoned
	switch {
	case a == nil:
		return ""
	case !a.returned:
		return fmt.Sprintf("the round begun %s was abandoned over its deadline of %s and has not returned yet: no round runs until it does",
			a.at.UTC().Format(time.RFC3339), a.deadline)
	}
	return fmt.Sprintf("the round begun %s was abandoned over its deadline of %s; ready again when a round completes",
		a.at.UTC().Format(time.RFC3339), a.deadline)
}

// running returns the round under way, nil when none is.
func (d *Daemon) running() *web.RunningRound {
	d.stateMu.Lock()
	defer d.stateMu.Unlock()
	if d.roundState.since.IsZero() {
		return nil
	}
	return &web.RunningRound{Since: d.roundState.since, DeadlineSeconds: d.roundState.deadline.Seconds()}
}
