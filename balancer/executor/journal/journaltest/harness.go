package journaltest

import (
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// Opener opens a journal over the storage it was made for; calling it
// again after closing the first is a restart.
type Opener func(t *testing.T) journal.Store

// Harness is how the suite reaches the implementation under test.
type Harness struct {
	// Fresh makes empty storage and returns its Opener.
	Fresh func(t *testing.T) Opener
	// Shared reports whether several journals may be open over the same
	// storage at once (daemons sharing etcd). When false, writers that
	// race share one journal (the local file admits one process).
	Shared bool
	// Fenced, when set, opens a journal over fresh storage whose writes
	// are fenced on a leadership, and returns depose, which ends that
	// leadership, lets another writer lead and returns that writer's
	// fenced journal over the same storage. nil: the store has no fence.
	Fenced func(t *testing.T) (j journal.Store, depose func() journal.Store)
	// ErrFenced is what a fenced write that was refused wraps.
	ErrFenced error
}
