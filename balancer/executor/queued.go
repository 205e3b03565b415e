package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// Moves survive a restart while they wait: Submit journals each new move
// as queued before it returns, New queues the journal's queued moves again
// (held), and they start, re-validated as any queued move is, once
// Reconcile has run and the owner lets them go (ResumeQueued, or a Submit
// of their move ids). The journal's queued → intent step is the one a
// move's start takes in any case, so a move id still runs at most once.

// journalQueuedLocked journals the fresh jobs as queued in one synced write
// and returns the ones to queue here: those it journaled now, and those the
// journal holds as queued already but nobody here carries (queued before a
// restart). A move id journaled in another state is decided on already and
// is left out.
func (e *Executor) journalQueuedLocked(fresh []*job, now time.Time) ([]*job, error) {
	if len(fresh) == 0 {
		return nil, nil
	}
	entries := make([]journal.Entry, len(fresh))
	for i, j := range fresh {
		en, err := e.queuedEntryOf(j, now)
		if err != nil {
			return nil, err
		}
		entries[i] = en
	}
	created, err := e.journal.Queue(entries)
	if err != nil {
		return nil, err
	}
	var out []*job
	for i, j := range fresh {
		if created[i] {
			out = append(out, j)
			continue
		}
		en, err := e.journal.Get(j.id)
		if err != nil {
			return nil, err
		}
		if en.State == journal.StateQueued {
			j.queued, j.resumed = en.Intent, true
			out = append(out, j)
		}
	}
	return out, nil
}

// queuedEntryOf is j's journal entry while it waits, with the move whole.
func (e *Executor) queuedEntryOf(j *job, now time.Time) (journal.Entry, error) {
	m := j.m
	m.Rejected = nil // what the planner refused instead: the plan keeps it
	b, err := json.Marshal(m)
	if err != nil {
		return journal.Entry{}, fmt.Errorf("journal move %s: %w", j.id, err)
	}
	en := e.entryOf(j, now)
	en.Move = b
	return en, nil
}

// loadQueued queues again, held, the moves the journal holds as queued,
// and first those a stop caught between their intent and their start (see
// requeueUnsent). A queued entry whose move cannot be read back is
// journaled skipped (cause journal), so that nothing waits for it for ever.
func (e *Executor) loadQueued() error {
	if err := e.requeueUnsent(); err != nil {
		return err
	}
	es, err := e.journal.Queued()
	if err != nil {
		return err
	}
	now := e.cfg.Now()
	for _, en := range es {
		j, err := jobOf(en)
		if err != nil {
			if _, terr := e.journal.Transition(en.MoveID, journal.StateSkipped, now, CauseJournal, "the queued move cannot be read back: "+err.Error()); terr != nil {
				return terr
			}
			e.log.Error("queued move skipped: it cannot be read back from the journal", "move_id", en.MoveID, "err", err)
			continue
		}
		e.queue = append(e.queue, j)
		e.known[j.id] = true
	}
	return nil
}

// requeueUnsent journals as queued again every submitted move the journal
// holds as intent: the daemon stopped while it re-checked the move or
// asked Compare-VM, before Move-VM was sent (the start is synced before it
// is). The move's approval stands, so it waits in the queue again, in its
// place, and is re-checked when its turn comes, instead of being
// reconciled as skipped: a stop never turns an approved move into one that
// did not run. An intent journaled without its move (not submitted through
// the queue) is left to Reconcile, which skips it.
func (e *Executor) requeueUnsent() error {
	es, err := e.journal.Unresolved()
	if err != nil {
		return err
	}
	for _, en := range es {
		if en.State != journal.StateIntent || len(en.Move) == 0 {
			continue
		}
		if _, err := e.journal.Transition(en.MoveID, journal.StateQueued, e.cfg.Now(), "", ""); err != nil {
			return err
		}
		delete(e.unresolved, en.MoveID) // it blocks its VM no more
		e.log.Info("move decided on but not sent before the stop: queued again", "move_id", en.MoveID, "vm", en.VMName, "vm_id", en.VMID)
	}
	return nil
}

// jobOf is the held job of a queued journal entry.
func jobOf(en journal.Entry) (*job, error) {
	var m moves.Move
	if err := json.Unmarshal(en.Move, &m); err != nil {
		return nil, err
	}
	if m.VM != en.VMID || m.From != en.From || m.To != en.To {
		return nil, errors.New("its move does not match the entry")
	}
	cut := strings.LastIndexByte(en.MoveID, '/')
	if cut < 0 || en.MoveID[:cut] != en.PlanID {
		return nil, fmt.Errorf("move id %q is not of plan %q", en.MoveID, en.PlanID)
	}
	i, err := strconv.Atoi(en.MoveID[cut+1:])
	if err != nil {
		return nil, fmt.Errorf("move id %q: %w", en.MoveID, err)
	}
	return &job{id: en.MoveID, plan: en.PlanID, index: i, m: m, queued: en.Intent, resumed: true, held: true}, nil
}

// releaseLocked lets the held job of move id go, and returns 1 if there
// was one.
func (e *Executor) releaseLocked(id string) int {
	for _, j := range e.queue {
		if j.id == id && j.held {
			j.held = false
			return 1
		}
	}
	return 0
}

// ResumeQueued lets every move that New queued again from the journal go:
// each starts, re-validated as any queued move is, once Reconcile has run.
// It returns how many it let go.
func (e *Executor) ResumeQueued() int {
	e.mu.Lock()
	n := 0
	for _, j := range e.queue {
		if j.held {
			j.held = false
			n++
		}
	}
	if n > 0 {
		e.broadcastLocked()
	}
	e.mu.Unlock()
	if n > 0 {
		e.log.Info("resuming moves queued before a restart", "moves", n)
		e.poke()
	}
	return n
}

// waitsLocked reports whether a queued job may not start yet: it is held,
// or it was queued again from the journal and Reconcile has not run.
func (e *Executor) waitsLocked(j *job) bool {
	return j.held || j.resumed && !e.reconciled
}
