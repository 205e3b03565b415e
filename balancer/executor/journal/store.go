package journal

import "time"

// Store is what the executor and the daemon keep their journal in: the
// local file (Journal, the default) or a store shared by several daemons
// of which one leads (package etcdjournal). Every implementation passes
// the conformance suite in package journaltest: a move id is journaled
// once, only the executor's transitions are made (Entry.Next), and of two
// writers racing on one entry exactly one succeeds.
type Store interface {
	// Intend records the intent to migrate before Move-VM is sent: a
	// queued entry of the move id becomes the intent, a new move id is
	// added, and a move id journaled in any other state is returned as it
	// is with created false.
	Intend(e Entry) (out Entry, created bool, err error)
	// Queue records new move ids as queued, leaving journaled ones as
	// they are; created reports which were queued now. A batch of up to
	// AtomicQueue entries is written all or nothing.
	Queue(es []Entry) (created []bool, err error)
	// Transition moves an entry to state to (Entry.Next), or fails with
	// ErrNotFound or ErrBadTransition.
	Transition(moveID string, to State, at time.Time, cause, msg string) (Entry, error)
	// Get returns one entry, or ErrNotFound.
	Get(moveID string) (Entry, error)
	// Entries returns the newest entries first, at most limit (0: all),
	// that keep returns true for (nil: all).
	Entries(limit int, keep func(Entry) bool) ([]Entry, error)
	// Queued returns the queued entries, oldest first.
	Queued() ([]Entry, error)
	// Unresolved returns the unresolved entries (Entry.Unresolved),
	// oldest first.
	Unresolved() ([]Entry, error)
	// LastMoved returns, per VM id, when its last successful migration
	// ended.
	LastMoved() (map[string]time.Time, error)
	// Prune deletes the final entries that ended before t and returns how
	// many.
	Prune(t time.Time) (int, error)
	// Close releases the store (the file, or nothing the caller owns).
	Close() error
}

var _ Store = (*Journal)(nil)

// AtomicQueue is how many entries every Store's Queue writes all or
// nothing: a plan's moves, up to this many, are queued together or not
// at all. A longer batch may be written in parts of up to AtomicQueue
// entries, in order, each all or nothing: an error or a crash between two
// parts leaves the earlier parts queued (a Queue of the same batch again
// queues the rest, and reports the earlier parts as journaled already).
const AtomicQueue = 60
