package ha

import "time"

// State is what this daemon knows about the leadership.
type State struct {
	// Leading is true while this daemon leads.
	Leading bool
	// Leader is who leads, as last seen (zero: nobody leads, or no one
	// has been seen yet).
	Leader Identity
	// Rev is the leader key's create revision: the election's term,
	// which grows with every new leader (0 when Leader is zero).
	Rev int64
	// Since is when this daemon's view last changed.
	Since time.Time
	// Reason says why it changed, e.g. "session expired".
	Reason string
}

// State returns the leadership as this daemon sees it now.
func (e *Elector) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// Changed returns a channel that is closed at the next change of State;
// call it again after each change.
func (e *Elector) Changed() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

// Term is one stretch of this daemon's leadership.
type Term struct {
	// Rev is the create revision of this term's leader key.
	Rev  int64
	key  string
	done chan struct{}
}

// Done is closed when the term ends: the session expired or was closed,
// etcd was unreachable past the TTL, another leader was seen, or the
// daemon resigned.
func (t *Term) Done() <-chan struct{} { return t.done }

// Leading returns the current term while this daemon leads, or nil.
func (e *Elector) Leading() *Term {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.term
}

// setLocked records a new state and wakes those waiting for a change.
// e.mu is held.
func (e *Elector) setLocked(s State) {
	if s.Leading == e.state.Leading && s.Leader == e.state.Leader && s.Rev == e.state.Rev {
		return
	}
	s.Since = time.Now()
	e.state = s
	close(e.changed)
	e.changed = make(chan struct{})
}

// begin starts a term under the key of revision rev.
func (e *Elector) begin(key string, rev int64) *Term {
	t := &Term{Rev: rev, key: key, done: make(chan struct{})}
	e.mu.Lock()
	e.term = t
	e.setLocked(State{Leading: true, Leader: e.cfg.Self, Rev: rev, Reason: "elected"})
	e.mu.Unlock()
	e.metrics.leader.Set(1)
	e.metrics.takeovers.Inc()
	e.log.Info("leading", "rev", rev)
	return t
}

// end ends term t, saying why.
func (e *Elector) end(t *Term, reason string) {
	e.mu.Lock()
	if e.term != t {
		e.mu.Unlock()
		return
	}
	e.term = nil
	s := e.state
	s.Leading, s.Reason = false, reason
	if s.Leader == e.cfg.Self && s.Rev == t.Rev {
		s.Leader, s.Rev = Identity{}, 0 // until the observer sees the next one
	}
	e.setLocked(s)
	e.mu.Unlock()
	close(t.done)
	e.metrics.leader.Set(0)
	e.log.Warn("no longer leading", "rev", t.Rev, "why", reason)
}

// observed records the leader the observer saw (zero: none) while this
// daemon does not lead.
func (e *Elector) observed(who Identity, rev int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.term != nil {
		return
	}
	reason := "leader observed"
	if rev == 0 {
		reason = "no leader"
	}
	e.setLocked(State{Leader: who, Rev: rev, Reason: reason})
}
