package executor

import (
	"errors"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// ErrRunning is returned by Reload while Run runs or a move is in flight.
var ErrRunning = errors.New("the executor is running")

// Reload forgets what the executor read from its journal and reads it
// again, as New does: the VMs blocked by unknown outcomes, the cooldowns,
// the holds and the queued moves (held until Reconcile and ResumeQueued,
// as after a restart). It is for a journal that other executors write
// too, such as a shared one that a daemon takes over when it is elected:
// what the last writer left is then this executor's. The pause, the
// hosts' breakers and the metrics stay. It fails with ErrRunning while
// Run runs or a move is in flight.
func (e *Executor) Reload() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running || len(e.inflight) > 0 {
		return fmt.Errorf("reload executor: %w", ErrRunning)
	}
	e.queue = nil
	e.known = map[string]bool{}
	e.unresolved = map[string]journal.Entry{}
	e.reconciling = map[string]bool{}
	e.held = map[string]time.Time{}
	e.begun = map[string][]*job{}
	e.lastMoved = nil
	e.reconciled = false
	if err := e.load(); err != nil {
		return fmt.Errorf("reload executor: %w", err)
	}
	e.broadcastLocked()
	return nil
}
