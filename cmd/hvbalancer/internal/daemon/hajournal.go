package daemon

import (
	"sync/atomic"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
)

// sharedJournal is the journal the daemons sharing etcd through el share,
// under its prefix, with opt's other settings: the leader's is fenced on
// el's terms (see openHA); one that only reads (a one-shot plan) is not.
func sharedJournal(el *ha.Elector, opt etcdjournal.Options) *etcdjournal.Journal {
	opt.Prefix = el.Prefix() + "/"
	return etcdjournal.New(el.Client(), opt)
}

// termJournal is the executor's view of the shared journal: while this
// daemon stands by, the executor reads nothing from it, so that what it
// holds is read when this daemon is elected (Executor.Reload) and not
// before, when another daemon still writes it; while it leads, it is the
// journal. Writes always go through: the journal's fence refuses those of
// a daemon that does not lead.
type termJournal struct {
	journal.Store
	open atomic.Bool
}

var _ journal.Store = (*termJournal)(nil)

// Queued implements journal.Store.
func (j *termJournal) Queued() ([]journal.Entry, error) {
	if !j.open.Load() {
		return nil, nil
	}
	return j.Store.Queued()
}

// Unresolved implements journal.Store.
func (j *termJournal) Unresolved() ([]journal.Entry, error) {
	if !j.open.Load() {
		return nil, nil
	}
	return j.Store.Unresolved()
}

// LastMoved implements journal.Store.
func (j *termJournal) LastMoved() (map[string]time.Time, error) {
	if !j.open.Load() {
		return map[string]time.Time{}, nil
	}
	return j.Store.LastMoved()
}

// Entries implements journal.Store.
func (j *termJournal) Entries(limit int, keep func(journal.Entry) bool) ([]journal.Entry, error) {
	if !j.open.Load() {
		return nil, nil
	}
	return j.Store.Entries(limit, keep)
}

// termEnds is the shared journal's etcdjournal.Options.Term: the end of
// the elector's current term, so that an outcome write still waiting for
// an etcd this daemon is cut off from ends with the term rather than after
// the store's timeout, and the daemon stands down as soon as it no longer
// leads. The outcome is then left as after a crash: the entry stays
// started, and the next leader's reconciliation locates the VM. While the
// daemon does not lead a write ends at once (the fence would refuse it).
func termEnds(el *ha.Elector) func() <-chan struct{} {
	return func() <-chan struct{} {
		if t := el.Leading(); t != nil {
			return t.Done()
		}
		return ended
	}
}

// ended is a channel closed from the start.
var ended = func() chan struct{} { c := make(chan struct{}); close(c); return c }()
