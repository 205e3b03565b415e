package journal

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// State is where a journaled migration stands.
type State string

// States of a migration. Intent, Started and Unknown are unresolved: the VM
// must not be moved again until its entry is final. Queued is not final
// either, but blocks nothing: the move waits for its turn, and nothing was
// sent to a host for it.
const (
	StateQueued    State = "queued"    // submitted (approved, or a batch of full automation) and waiting for its turn
	StateIntent    State = "intent"    // decided and about to start; Move-VM not sent yet
	StateStarted   State = "started"   // Move-VM sent; the outcome is not known yet
	StateUnknown   State = "unknown"   // the connection or the daemon was lost mid-migration
	StateSucceeded State = "succeeded" // the VM runs on the destination
	StateFailed    State = "failed"    // the VM stayed on the source
	StateSkipped   State = "skipped"   // re-validation refused it before it started
)

// Final reports whether the state is an outcome.
func (s State) Final() bool {
	return s == StateSucceeded || s == StateFailed || s == StateSkipped
}

// allowed are the transitions the executor may make.
var allowed = map[State][]State{
	StateQueued: {StateSkipped}, // to intent only through Intend
	// Back to queued: a restart found a submitted move decided on but
	// never sent (the start is synced before Move-VM is), or a stop caught
	// a staged evacuation before it sent Move-VM, and queues it again.
	StateIntent:  {StateStarted, StateSkipped, StateFailed, StateUnknown, StateQueued},
	StateStarted: {StateSucceeded, StateFailed, StateUnknown},
	StateUnknown: {StateSucceeded, StateFailed},
}

// Entry is one migration in the journal.
type Entry struct {
	MoveID  string `json:"move_id"` // unique per decision: plan id and move number
	PlanID  string `json:"plan_id"`
	VMID    string `json:"vm_id"`
	VMName  string `json:"vm_name"`
	From    string `json:"from"`
	To      string `json:"to"`
	Trigger string `json:"trigger,omitempty"`
	Bytes   int64  `json:"bytes,omitempty"`
	// Move is the move as it was submitted, in the executor's form, so
	// that a queued move can be queued again after a restart.
	Move       json.RawMessage `json:"move,omitempty"`
	State      State           `json:"state"`
	Cause      string          `json:"cause,omitempty"` // typed cause of a failure, e.g. "double_hop"
	Error      string          `json:"error,omitempty"`
	Reconciled bool            `json:"reconciled,omitempty"` // outcome learned by locating the VM
	Intent     time.Time       `json:"intent"`               // when it was queued, then when it was decided on
	Started    time.Time       `json:"started,omitzero"`
	Ended      time.Time       `json:"ended,omitzero"`
	Seq        uint64          `json:"seq"`
}

// Sentinel errors.
var (
	ErrNotFound       = errors.New("no such move")
	ErrBadTransition  = errors.New("transition not allowed")
	ErrLocked         = errors.New("journal is in use by another process")
	ErrMissingMoveID  = errors.New("entry has no move id")
	bucketMoves       = []byte("moves") // move id -> entry JSON
	bucketOrder       = []byte("order") // seq (big endian) -> move id
	defaultLockWait   = 2 * time.Second
	errCorruptJournal = errors.New("corrupt journal entry")
)

// Journal is an open journal file, the local Store. It is safe for
// concurrent use.
type Journal struct {
	db *bolt.DB
}

// Open opens (creating if need be) the journal at path. Only one process may
// hold it: a second daemon on the same state directory gets ErrLocked.
func Open(path string) (*Journal, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: defaultLockWait})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open journal %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMoves, bucketOrder} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	return &Journal{db: db}, nil
}

// OpenReadOnly opens the journal at path to read it only, waiting at most
// wait for the file's lock: a daemon that holds it open keeps readers out
// (ErrLocked), and a journal not yet made is an error that wraps
// fs.ErrNotExist. Every write to it fails.
func OpenReadOnly(path string, wait time.Duration) (*Journal, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: wait})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open journal %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	return &Journal{db: db}, nil
}

// Close closes the file.
func (j *Journal) Close() error { return j.db.Close() }

func get(tx *bolt.Tx, moveID string) (Entry, bool, error) {
	v := tx.Bucket(bucketMoves).Get([]byte(moveID))
	if v == nil {
		return Entry{}, false, nil
	}
	var e Entry
	if err := json.Unmarshal(v, &e); err != nil {
		return Entry{}, false, fmt.Errorf("%w %s: %w", errCorruptJournal, moveID, err)
	}
	return e, true, nil
}

func put(tx *bolt.Tx, e Entry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMoves).Put([]byte(e.MoveID), v)
}

// Intend records the intent to migrate, synced to disk, before Move-VM is
// sent. A queued entry of the move id becomes the intent (created true);
// if the move id is journaled in any other state, nothing changes and the
// existing entry is returned with created false: a decision is carried out
// once, whatever happens to the daemon in between.
func (j *Journal) Intend(e Entry) (Entry, bool, error) {
	if e.MoveID == "" {
		return Entry{}, false, ErrMissingMoveID
	}
	var out Entry
	var created bool
	err := j.db.Update(func(tx *bolt.Tx) error {
		old, ok, err := get(tx, e.MoveID)
		switch {
		case err != nil || ok && old.State != StateQueued:
			out = old
			return err
		case ok: // queued: its turn has come
			old.State, old.Intent = StateIntent, e.Intent
			out, created = old, true
			return put(tx, old)
		}
		e.State = StateIntent
		out, created = e, true
		return insert(tx, &out)
	})
	if err != nil {
		return Entry{}, false, fmt.Errorf("journal intent of %s: %w", e.MoveID, err)
	}
	return out, created, nil
}

// insert adds a new entry at the end of the order, giving it its sequence
// number.
func insert(tx *bolt.Tx, e *Entry) error {
	seq, err := tx.Bucket(bucketOrder).NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	e.Started, e.Ended = time.Time{}, time.Time{}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	if err := tx.Bucket(bucketOrder).Put(k[:], []byte(e.MoveID)); err != nil {
		return err
	}
	return put(tx, *e)
}

// Queue records moves as queued, in one write synced to disk: submitted
// and waiting for their turn, so that a restart queues them again (see
// Queued). A move id journaled already is left as it is; created reports,
// for each entry, whether it was queued now.
func (j *Journal) Queue(es []Entry) (created []bool, err error) {
	created = make([]bool, len(es))
	err = j.db.Update(func(tx *bolt.Tx) error {
		for i, e := range es {
			if e.MoveID == "" {
				return ErrMissingMoveID
			}
			_, ok, err := get(tx, e.MoveID)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			e.State = StateQueued
			if err := insert(tx, &e); err != nil {
				return err
			}
			created[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal queued moves: %w", err)
	}
	return created, nil
}

// Queued returns the queued entries, oldest first: the moves a restart
// queues again.
func (j *Journal) Queued() ([]Entry, error) {
	es, err := j.Entries(0, func(e Entry) bool { return e.State == StateQueued })
	sort.Slice(es, func(a, b int) bool { return es[a].Seq < es[b].Seq })
	return es, err
}

// Transition moves an entry to state at time at, with a cause and message
// for failures. Only the executor's transitions are allowed (intent →
// started → outcome, or → unknown → outcome once reconciled).
func (j *Journal) Transition(moveID string, to State, at time.Time, cause, msg string) (Entry, error) {
	var out Entry
	err := j.db.Update(func(tx *bolt.Tx) error {
		e, ok, err := get(tx, moveID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		if e, err = e.Next(to, at, cause, msg); err != nil {
			return err
		}
		out = e
		return put(tx, e)
	})
	if err != nil {
		return Entry{}, fmt.Errorf("journal %s of %s: %w", to, moveID, err)
	}
	return out, nil
}

// Next is the entry moved to state to at time at, with a cause and
// message for failures, or ErrBadTransition when the executor may not
// make that transition. Every Store applies it.
func (e Entry) Next(to State, at time.Time, cause, msg string) (Entry, error) {
	if !contains(allowed[e.State], to) {
		return e, fmt.Errorf("%w: %s to %s", ErrBadTransition, e.State, to)
	}
	if e.State == StateUnknown {
		e.Reconciled = true
	}
	e.State = to
	switch {
	case to == StateStarted:
		e.Started = at
	case to.Final():
		e.Ended = at
	}
	if cause != "" || msg != "" {
		e.Cause, e.Error = cause, msg
	}
	return e, nil
}

// Unresolved reports whether the entry's outcome is not known: intent,
// started or unknown. A queued entry is not: nothing was sent for it.
func (e Entry) Unresolved() bool { return !e.State.Final() && e.State != StateQueued }

func contains(s []State, x State) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Get returns one entry.
func (j *Journal) Get(moveID string) (Entry, error) {
	var e Entry
	err := j.db.View(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		e, ok, err = get(tx, moveID)
		if err == nil && !ok {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("journal get %s: %w", moveID, err)
	}
	return e, nil
}

// Entries returns the newest entries first, at most limit (0: all), that
// keep returns true for (nil: all).
func (j *Journal) Entries(limit int, keep func(Entry) bool) ([]Entry, error) {
	var out []Entry
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOrder).Cursor()
		for k, id := c.Last(); k != nil; k, id = c.Prev() {
			e, ok, err := get(tx, string(id))
			if err != nil {
				return err
			}
			if !ok || (keep != nil && !keep(e)) {
				continue
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	return out, nil
}

// Unresolved returns the entries whose outcome is not known (intent, started
// or unknown), oldest first: after a restart each must be reconciled before
// its VM may move again. Queued entries are not: nothing was sent for them.
func (j *Journal) Unresolved() ([]Entry, error) {
	es, err := j.Entries(0, Entry.Unresolved)
	sort.Slice(es, func(a, b int) bool { return es[a].Seq < es[b].Seq })
	return es, err
}

// LastMoved returns, per VM id, when its last successful migration ended:
// what the planner's cooldown needs.
func (j *Journal) LastMoved() (map[string]time.Time, error) {
	out := map[string]time.Time{}
	_, err := j.Entries(0, func(e Entry) bool {
		if e.State == StateSucceeded && e.Ended.After(out[e.VMID]) {
			out[e.VMID] = e.Ended
		}
		return false
	})
	return out, err
}

// Prune deletes final entries that ended before t, and returns how many.
func (j *Journal) Prune(t time.Time) (int, error) {
	n := 0
	err := j.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOrder).Cursor()
		for k, id := c.First(); k != nil; k, id = c.Next() {
			e, ok, err := get(tx, string(id))
			if err != nil {
				return err
			}
			if ok && (!e.State.Final() || !e.Ended.Before(t)) {
				continue
			}
			if err := tx.Bucket(bucketMoves).Delete(id); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("journal prune: %w", err)
	}
	return n, nil
}
