package daemon

import (
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/policy"
)

// history turns the journal into the policy's history (the last day) and
// the planner's: each VM's last migration, for the cooldown (however long
// ago: the cooldown may be longer than a day), the newest historyLimit
// migrations of the day, for its hysteresis per host pair (it reads those
// within the cooldown), and the moves Compare-VM refused within the
// planner's refusal memory. landed is when the newest
// successful migration ended (zero when none has).
//
// The policy's lists hold the newest historyLimit moves and failures that
// ended within the day; its count of each VM's moves of the day
// (MovesByVM) is made over every one of them, so a rule capping a VM's
// moves per day holds on a day busier than the lists.
//
// A daemon that leads, or runs alone, answers from its history view (see
// historyView), which is what one pass over the whole journal gives
// without reading it every round; a standby reads the journal.
func (d *Daemon) history(now time.Time, memory time.Duration) (h policy.History, hist *balancer.History, landed time.Time, err error) {
	if d.hist != nil {
		if term, leads := d.historyTerm(); leads {
			return d.hist.read(now, memory, term)
		}
	}
	return readHistory(d.journal, now, memory)
}

// keepHistory puts a history view over the journal j and returns the
// journal every write must go through for the view to hold: the daemon's.
func (d *Daemon) keepHistory(j journal.Store) journal.Store {
	d.hist = &historyView{j: j}
	return historyJournal{Store: j, v: d.hist}
}

// historyTerm is the term the journal's writes are this daemon's in (0
// for a daemon alone), and whether they are: false on a standby, whose
// journal another daemon writes.
func (d *Daemon) historyTerm() (int64, bool) {
	if d.ha == nil {
		return 0, true
	}
	s := d.ha.State()
	return s.Rev, s.Leading
}

// readHistory is history made in one pass over the whole journal.
func readHistory(j journal.Store, now time.Time, memory time.Duration) (policy.History, *balancer.History, time.Time, error) {
	b, last := newHistoryBuilder(now, memory), newLastMoves()
	_, err := j.Entries(0, func(e journal.Entry) bool { // newest first
		last.note(e)
		b.add(e)
		return false // nothing to keep: the pass fills what it needs
	})
	b.hist.LastMoved = last.at
	if err != nil {
		return b.h, nil, last.landed, err
	}
	return b.h, b.hist, last.landed, nil
}
