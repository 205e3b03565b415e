package collector

import (
	"context"
	"sync"
)

// lateAnswers holds the answers of polls that ended after their round
// did, until they are merged. A late poll queues its answer here instead
// of waiting for the collector's lock, which a round holds while it
// merges and builds its snapshot: the next round merges what is queued
// before it chooses its hosts, so a host whose answer is in is polled
// again rather than skipped as still under way.
type lateAnswers struct {
	mu      sync.Mutex
	pending []lateAnswer
}

// lateAnswer is one late poll's answer, with the context of its round.
type lateAnswer struct {
	ctx context.Context
	j   job
	r   result
}

// add queues the answer r of job j, polled under ctx.
func (l *lateAnswers) add(ctx context.Context, j job, r result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, lateAnswer{ctx, j, r})
}

// drainLocked merges the queued answers into c, in the order they came;
// c.mu is held.
func (l *lateAnswers) drainLocked(c *Collector) {
	l.mu.Lock()
	pending := l.pending
	l.pending = nil
	l.mu.Unlock()
	for _, a := range pending {
		c.applyOwnLocked(a.ctx, a.j, a.r, make(map[string]string))
	}
}
