package ha

import (
	"sync"
	"time"
)

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

// Term is one stretch of this daemon's leadership.
type Term struct {
	// Rev is the create revision of this term's leader key.
	Rev  int64
	key  string
	done chan struct{}
}

// Done is closed when the term ends: the session expired or was closed,
// etcd was unreachable past the TTL, the leader key was deleted, or the
// daemon resigned.
func (t *Term) Done() <-chan struct{} { return t.done }

// leadership is the state an Elector keeps and its readers read: the
// current State, the current Term while leading, and a channel closed at
// each change. Its methods are safe for concurrent use.
type leadership struct {
	mu      sync.Mutex
	state   State
	changed chan struct{}
	term    *Term
}

func newLeadership() *leadership { return &leadership{changed: make(chan struct{})} }

func (l *leadership) current() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

func (l *leadership) next() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

func (l *leadership) leading() *Term {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.term
}

// setLocked records a new state and wakes those waiting for a change.
// l.mu is held.
func (l *leadership) setLocked(s State) {
	if s.Leading == l.state.Leading && s.Leader == l.state.Leader && s.Rev == l.state.Rev {
		return
	}
	s.Since = time.Now()
	l.state = s
	close(l.changed)
	l.changed = make(chan struct{})
}

// begin starts a term of self under the key of revision rev.
func (l *leadership) begin(self Identity, key string, rev int64) *Term {
	t := &Term{Rev: rev, key: key, done: make(chan struct{})}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.term = t
	l.setLocked(State{Leading: true, Leader: self, Rev: rev, Reason: "elected"})
	return t
}

// end ends term t, saying why, and reports whether it was the current
// one.
func (l *leadership) end(t *Term, reason string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.term != t {
		return false
	}
	l.term = nil
	s := l.state
	s.Leading, s.Reason = false, reason
	if s.Rev == t.Rev {
		s.Leader, s.Rev = Identity{}, 0 // until the observer sees the next one
	}
	l.setLocked(s)
	close(t.done)
	return true
}

// observed records the leader the observer saw (zero: none) while this
// daemon does not lead.
func (l *leadership) observed(who Identity, rev int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.term != nil {
		return
	}
	reason := "leader observed"
	if rev == 0 {
		reason = "no leader"
	}
	l.setLocked(State{Leader: who, Rev: rev, Reason: reason})
}
