package collector

import (
	"context"
	"sync"
)

// lateAnswers holds the answers of polls that ended after their round
// did, until they are merged. A late poll queues its answer here rather
// than waiting for the collector's lock, which a round holds while it
// merges and builds its snapshot; one of the late polls at a time merges
// the queue, so hundreds of them do not line up for the lock ahead of the
// next round. That round merges what is still queued before it chooses
// its hosts, so a host whose answer is in is polled again rather than
// skipped as still under way.
type lateAnswers struct {
	mu      sync.Mutex
	pending []lateAnswer
	merging bool // a late poll is merging the queue
}

// lateAnswer is one late poll's answer, with the context of its round.
type lateAnswer struct {
	ctx context.Context
	j   job
	r   result
}

// add queues the answer r of job j, polled under ctx, and reports whether
// the caller is to merge the queue (mergeLate): no one else is.
func (l *lateAnswers) add(ctx context.Context, j job, r result) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, lateAnswer{ctx, j, r})
	if l.merging {
		return false
	}
	l.merging = true
	return true
}

// take empties the queue for its merger, and ends its turn when the
// queue is empty.
func (l *lateAnswers) take() []lateAnswer {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pending
	l.pending = nil
	if len(p) == 0 {
		l.merging = false
	}
	return p
}

// drainLocked merges the queued answers into c, in the order they came;
// c.mu is held.
func (l *lateAnswers) drainLocked(c *Collector) {
	l.mu.Lock()
	pending := l.pending
	l.pending = nil
	l.mu.Unlock()
	c.mergeLocked(pending)
}

// mergeLate merges the queued late answers until none are left; it is
// called by the late poll whose add said so.
func (c *Collector) mergeLate() {
	for {
		p := c.late.take()
		if len(p) == 0 {
			return
		}
		c.mu.Lock()
		c.mergeLocked(p)
		c.mu.Unlock()
	}
}

// mergeLocked merges late answers, each as its own round would have.
func (c *Collector) mergeLocked(p []lateAnswer) {
	for _, a := range p {
		c.applyOwnLocked(a.ctx, a.j, a.r, make(map[string]string))
	}
}
