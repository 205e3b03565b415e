package daemon

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/policy"
)

// historySlack is how much further back than a round needs the history
// view keeps entries, so that a placement asked with a clock a little
// behind the last round's is answered without reading the journal again.
const historySlack = time.Hour

// historyView is what the round's history needs from the journal, read
// once and then kept from the writes that reach the journal through it
// (historyJournal): each VM's last successful migration, and the final
// entries that ended after its horizon and that history lists (moves,
// failures, Compare-VM's refusals), in the journal's order. Only
// outcomes and pruning change those, so Transition and Prune are all it
// follows.
//
// It reads the whole journal again when what it holds may not be what
// the journal holds: at first, in a new term (another daemon led and
// wrote in between), after a write that failed (it may have landed), when
// an outcome older than a prune's cutoff arrives after the prune (the
// prune may or may not have removed it), and when a round needs entries
// from before its horizon (a longer refusal memory, a clock set back).
type historyView struct {
	j journal.Store

	mu      sync.Mutex
	loaded  bool
	term    int64           // the term it was read in
	horizon time.Time       // it holds every listed entry that ended after this
	pruned  time.Time       // the newest prune cutoff it applied
	recent  []journal.Entry // listed entries that ended after horizon, oldest sequence first
	last    lastMoves       // each VM's last successful migration
}

// read is history (see Daemon.history) from the view, the journal read
// first when the view cannot answer for term.
func (v *historyView) read(now time.Time, memory time.Duration, term int64) (policy.History, *balancer.History, time.Time, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	need := historyHorizon(now, memory)
	if !v.loaded || v.term != term || need.Before(v.horizon) {
		if err := v.load(need.Add(-historySlack), term); err != nil {
			return policy.History{}, nil, time.Time{}, err
		}
	}
	if keep := need.Add(-historySlack); keep.After(v.horizon) {
		v.horizon = keep
		v.recent = slices.DeleteFunc(v.recent, func(e journal.Entry) bool { return !e.Ended.After(keep) })
	}
	b := newHistoryBuilder(now, memory)
	for _, e := range slices.Backward(v.recent) {
		b.add(e)
	}
	b.hist.LastMoved, v.last.shared = v.last.at, true // the view changes a copy while the planner reads this one
	return b.h, b.hist, v.last.landed, nil
}

// load reads the whole journal into the view, with entries that ended
// after horizon. v.mu is held: an outcome journaled while it reads is
// added after it, once more if the read saw it (adding is idempotent).
func (v *historyView) load(horizon time.Time, term int64) error {
	v.loaded = false
	var recent []journal.Entry
	last := newLastMoves()
	_, err := v.j.Entries(0, func(e journal.Entry) bool { // newest first
		last.note(e)
		if listed(e) && e.Ended.After(horizon) {
			recent = append(recent, e)
		}
		return false
	})
	if err != nil {
		return err
	}
	slices.Reverse(recent)
	v.loaded, v.term, v.horizon, v.pruned = true, term, horizon, time.Time{}
	v.recent, v.last = recent, last
	return nil
}

// listed reports whether history's lists may hold e.
func listed(e journal.Entry) bool {
	return e.State == journal.StateSucceeded || e.State == journal.StateFailed || historyRefusal(e)
}

// invalidate makes the next read load the journal again.
func (v *historyView) invalidate() {
	v.mu.Lock()
	v.loaded = false
	v.recent, v.last = nil, lastMoves{}
	v.mu.Unlock()
}

// ended adds an entry journaled final.
func (v *historyView) ended(e journal.Entry) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.loaded {
		return
	}
	if e.Ended.Before(v.pruned) { // a prune may have removed it, or not
		v.loaded, v.recent, v.last = false, nil, lastMoves{}
		return
	}
	v.last.note(e)
	if !listed(e) || !e.Ended.After(v.horizon) {
		return
	}
	i, found := slices.BinarySearchFunc(v.recent, e.Seq, func(x journal.Entry, seq uint64) int {
		switch {
		case x.Seq < seq:
			return -1
		case x.Seq > seq:
			return 1
		}
		return 0
	})
	if found {
		v.recent[i] = e
		return
	}
	v.recent = slices.Insert(v.recent, i, e)
}

// prunedBefore removes what Prune(t) removed from the journal: the final
// entries that ended before t, and so each VM's last migration that ended
// before t (every migration of that VM ended before it).
func (v *historyView) prunedBefore(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.loaded {
		return
	}
	v.pruned = later(v.pruned, t)
	v.recent = slices.DeleteFunc(v.recent, func(e journal.Entry) bool { return e.Ended.Before(t) })
	v.last.own()
	maps.DeleteFunc(v.last.at, func(_ string, at time.Time) bool { return at.Before(t) })
	if v.last.landed.Before(t) {
		v.last.landed = time.Time{}
	}
}

// historyJournal is the journal with its history view kept: the
// outcomes it journals and the entries it prunes reach the view.
type historyJournal struct {
	journal.Store
	v *historyView
}

var _ journal.Store = historyJournal{}

// Transition implements journal.Store.
func (j historyJournal) Transition(moveID string, to journal.State, at time.Time, cause, msg string) (journal.Entry, error) {
	e, err := j.Store.Transition(moveID, to, at, cause, msg)
	switch {
	case err != nil:
		j.v.invalidate() // it may have been journaled all the same
	case e.State.Final():
		j.v.ended(e)
	}
	return e, err
}

// Prune implements journal.Store.
func (j historyJournal) Prune(t time.Time) (int, error) {
	n, err := j.Store.Prune(t)
	if err != nil {
		j.v.invalidate() // some were removed, perhaps
	} else {
		j.v.prunedBefore(t)
	}
	return n, err
}
