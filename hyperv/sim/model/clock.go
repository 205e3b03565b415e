package model

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the simulated time source of a fleet. Load profiles, uptimes and
// migration durations are all measured on it, so a fleet can run faster than
// real time (ScaledClock) or be stepped by a test (ManualClock).
type Clock interface {
	// Now returns the current simulated time.
	Now() time.Time
	// After returns a channel that receives once d of SIMULATED time has passed.
	After(d time.Duration) <-chan time.Time
}

// ScaledClock is simulated time that runs speed times faster than real time:
// Now = start + real time elapsed since construction × speed.
type ScaledClock struct {
	start     time.Time
	realStart time.Time
	speed     float64
}

// NewScaledClock returns a clock that starts at start and runs speed times
// faster than real time. A speed that is not positive is taken as 1.
func NewScaledClock(start time.Time, speed float64) *ScaledClock {
	if !(speed > 0) {
		speed = 1
	}
	return &ScaledClock{start: start, realStart: time.Now(), speed: speed}
}

// Speed returns how many simulated seconds pass per real second.
func (c *ScaledClock) Speed() float64 { return c.speed }

// Now returns the current simulated time.
func (c *ScaledClock) Now() time.Time {
	elapsed := float64(time.Since(c.realStart)) * c.speed
	return c.start.Add(time.Duration(elapsed))
}

// After returns a channel that receives the simulated time once d of
// simulated time has passed. It starts no goroutine: a runtime timer sends.
func (c *ScaledClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.Now()
		return ch
	}
	time.AfterFunc(time.Duration(float64(d)/c.speed), func() { ch <- c.Now() })
	return ch
}

// ManualClock is simulated time that moves only when Advance is called. It
// is meant for tests: durations can be asserted exactly without sleeping.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	seq     int
	waiters []manualWaiter
	changed chan struct{} // closed and replaced whenever waiters change
}

type manualWaiter struct {
	at  time.Time
	seq int
	ch  chan time.Time
}

// NewManualClock returns a clock stopped at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, changed: make(chan struct{})}
}

// Now returns the current simulated time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives once the clock has been advanced by
// d. A d that is not positive fires at once.
func (c *ManualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	c.waiters = append(c.waiters, manualWaiter{at: c.now.Add(d), seq: c.seq, ch: ch})
	c.notifyLocked()
	return ch
}

// Advance moves the clock forward by d, firing every After channel that
// falls due, in order of due time (then of the After calls). While firing,
// Now reports each channel's due time; afterwards it reports start + d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.now.Add(d)
	sort.SliceStable(c.waiters, func(i, j int) bool {
		a, b := c.waiters[i], c.waiters[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.seq < b.seq
	})
	n := 0
	for _, w := range c.waiters {
		if w.at.After(target) {
			break
		}
		if w.at.After(c.now) {
			c.now = w.at
		}
		w.ch <- w.at
		n++
	}
	c.waiters = append(c.waiters[:0], c.waiters[n:]...)
	if target.After(c.now) {
		c.now = target
	}
	if n > 0 {
		c.notifyLocked()
	}
}

// Waiters returns the number of After calls whose channel has not fired yet.
func (c *ManualClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// WaitForWaiters blocks until at least n After calls are pending or ctx is
// done, so a test can tell that a migration is blocked on the clock.
func (c *ManualClock) WaitForWaiters(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		have, ch := len(c.waiters), c.changed
		c.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *ManualClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}
