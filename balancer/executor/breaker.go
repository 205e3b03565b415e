package executor

import (
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// Circuit breaker states.
const (
	breakerClosed   = "closed"
	breakerOpen     = "open"
	breakerHalfOpen = "half-open"
)

// breaker is one host's circuit breaker. After BreakerThreshold
// consecutive failed migrations touching the host it opens: moves touching
// the host are skipped. After BreakerCooldown it is half-open: one trial
// move may run, and the others wait for its outcome. A success closes it;
// a failure opens it for another BreakerCooldown.
type breaker struct {
	failures int       // consecutive failed migrations touching the host
	until    time.Time // open until then, once failures reached the threshold
	trial    string    // the half-open trial's move id, while it runs
}

func (b *breaker) state(now time.Time, threshold int) string {
	switch {
	case b.failures < threshold:
		return breakerClosed
	case now.Before(b.until):
		return breakerOpen
	}
	return breakerHalfOpen
}

// breakerLocked returns host's breaker, making it on first use.
func (e *Executor) breakerLocked(host string) *breaker {
	b := e.breakers[host]
	if b == nil {
		b = &breaker{}
		e.breakers[host] = b
	}
	return b
}

// breakerRefusalLocked names the first of the move's hosts whose breaker is
// open, or "".
func (e *Executor) breakerRefusalLocked(m moves.Move, now time.Time) string {
	for _, h := range []string{m.From, m.To} {
		if b := e.breakerLocked(h); b.state(now, e.cfg.BreakerThreshold) == breakerOpen {
			return fmt.Sprintf("the circuit breaker of %s is open after %d consecutive failures, until %s", h, b.failures, b.until.UTC().Format(time.RFC3339))
		}
	}
	return ""
}

// breakerBusyLocked reports whether one of the move's hosts is half-open
// with its trial move running: the move waits for the trial's outcome.
func (e *Executor) breakerBusyLocked(m moves.Move, now time.Time) bool {
	for _, h := range []string{m.From, m.To} {
		if b := e.breakerLocked(h); b.trial != "" && b.state(now, e.cfg.BreakerThreshold) != breakerClosed {
			return true
		}
	}
	return false
}

// breakerTrialLocked makes j the trial of its half-open hosts.
func (e *Executor) breakerTrialLocked(j *job, now time.Time) {
	for _, h := range []string{j.m.From, j.m.To} {
		if b := e.breakerLocked(h); b.state(now, e.cfg.BreakerThreshold) == breakerHalfOpen {
			b.trial = j.id
			j.trials = append(j.trials, h)
			e.log.Info("circuit breaker half-open: trial move", "host", h, "move_id", j.id)
		}
	}
}

// breakerEndTrialLocked ends j's trials, if any, without a verdict.
func (e *Executor) breakerEndTrialLocked(j *job) {
	for _, h := range j.trials {
		if b := e.breakerLocked(h); b.trial == j.id {
			b.trial = ""
		}
	}
	j.trials = nil
}

// breakerResultLocked counts a migration's outcome against both hosts: a
// failure toward opening, a success closes.
func (e *Executor) breakerResultLocked(j *job, ok bool, now time.Time) {
	e.breakerEndTrialLocked(j)
	for _, h := range []string{j.m.From, j.m.To} {
		b := e.breakerLocked(h)
		if ok {
			if b.failures >= e.cfg.BreakerThreshold {
				e.log.Info("circuit breaker closed", "host", h)
			}
			b.failures, b.until = 0, time.Time{}
			continue
		}
		b.failures++
		if b.failures >= e.cfg.BreakerThreshold {
			b.until = now.Add(e.cfg.BreakerCooldown)
			e.log.Warn("circuit breaker open", "host", h, "failures", b.failures, "until", b.until)
		}
	}
}
