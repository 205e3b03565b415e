package collector

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// reconfigureRetry is how often Reconfigure looks again for a moment when
// no host's poll is under way.
const reconfigureRetry = 20 * time.Millisecond

// Reconfigure replaces the collector's settings (a configuration reload):
// the window, stale_after, the deadlines of a host's poll and of a poll's
// wait for answers, the concurrency, the sample interval and how often
// facts are read; Now stays the collector's. It waits for a moment when no
// host's poll is under way, since a poll reads its deadline as it goes,
// and returns an error naming the hosts still polled when ctx ends first
// (nothing is changed then). The next poll uses the new settings;
// windows keep their samples, a shorter window dropping the older ones as
// it moves on.
func (c *Collector) Reconfigure(ctx context.Context, cfg Config) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("reconfigure collector: %w", err)
	}
	for {
		busy := c.tryReconfigure(cfg)
		if len(busy) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("reconfigure collector: polls of %v still under way: %w", busy, ctx.Err())
		case <-time.After(reconfigureRetry):
		}
	}
}

// tryReconfigure applies cfg unless a host's poll is under way, and
// returns the hosts whose polls are (none when it applied cfg).
func (c *Collector) tryReconfigure(cfg Config) []string {
	c.pollMu.Lock() // no poll starts meanwhile
	defer c.pollMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	var busy []string
	for name, st := range c.hosts {
		if !st.pollingSince.IsZero() {
			busy = append(busy, name)
		}
	}
	if len(busy) > 0 {
		slices.Sort(busy)
		return busy
	}
	cfg.Now = c.cfg.Now
	c.cfg = cfg.withDefaults()
	return nil
}
