package executor

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// Evacuations are the moves out of a host in maintenance (Config.
// Evacuating). An administrator who puts a host in maintenance waits for
// it to empty, so its moves are not held back by the limits that pace
// balancing: they take tokens from their own bucket (EvacuationRate), so
// that migrations_per_minute never throttles them and balancing never
// spends their tokens; the draining host runs as many at once as its own
// MaximumVirtualMachineMigrations allows, PerHostCap aside (that cap
// spreads balancing's load; a host in maintenance serves no VM worth
// sparing); and a pass over the queue starts them before any other move,
// whatever their order in the plan, so that a slot freed on the draining
// host goes to the next of its VMs at once, the largest first (longest
// processing time first: the host's slots end close together instead of
// one large VM running alone at the end). MaxConcurrent, the
// destination's slots and the breakers hold for them as for any move.
//
// An evacuation's own checks (re-validation and Compare-VM, calls to the
// hosts that take a fraction of a second) need no migration slot of the
// host: one more evacuation than the host's limit may hold the executor's
// slots (evacuationLookahead), so that its checks run while the host's
// slots migrate, and it waits, staged, for one of them to free before it
// sends Move-VM (awaitWire), the largest first. The host never runs more migrations than its
// own limit; its slots go from one VM to the next without the checks in
// between.

// evacuationLookahead is how many evacuations beyond the host's own limit
// may run their checks ahead, staged for its next free migration slot.
const evacuationLookahead = 1

// phaseStaged is an evacuation checked and waiting for a migration slot of
// its host.
const phaseStaged = "staged"

// awaitWire holds an evacuation that passed its checks until fewer than
// its source's own limit of migrations touch that host, not paused, and
// takes the slot (phase migrating) before it returns true; it returns
// false, the move not sent, when Run stops meanwhile (the move is then
// queued again: see requeueStaged). Any other move
// returns at once: its slots were counted when it started.
func (e *Executor) awaitWire(j *job) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.cfg.Evacuating(j.m.From) {
		return true
	}
	j.phase = phaseStaged
	e.broadcastLocked() // Status shows it staged
	for {
		if e.stopping {
			return false
		}
		if !e.paused && !e.largerAheadLocked(j) && e.migratingLocked(j.m.From)+e.mayRunLocked(j.m.From) < e.ownLimit(j.m.From) {
			j.phase = phaseMigrating
			e.broadcastLocked() // a smaller one staged behind it may go next
			return true
		}
		ch := e.changed
		e.mu.Unlock()
		<-ch
		e.mu.Lock()
	}
}

// requeueStaged gives a staged evacuation back to the queue when Run's
// stop caught it before it sent Move-VM. Its move was approved and nothing
// was sent to a host for it, so, as a restart does with an intent it finds
// (see requeueUnsent), it is journaled queued again, in its place, rather
// than skipped: the next start queues it with the other waiting moves,
// re-checked when its turn comes, and its move id still runs at most once
// (a queued entry becomes an intent again only through Intend). Should the
// journal refuse, the entry stays an intent, which the next start queues
// again all the same.
func (e *Executor) requeueStaged(j *job, log *slog.Logger) {
	_, err := e.journal.Transition(j.id, journal.StateQueued, e.cfg.Now(), "", "")
	e.mu.Lock()
	e.breakerEndTrialLocked(j)
	e.unbegunLocked(j)
	j.back = err == nil
	e.mu.Unlock()
	if err != nil {
		log.Error("journal a staged evacuation as queued again; the next start queues it from its intent", "err", err)
		return
	}
	log.Info("stopped before a migration slot of its host freed: queued again", "from", j.m.From, "to", j.m.To)
	e.emit(j, EventQueued, "", "queued again: the executor stopped before a migration slot of "+j.m.From+" freed")
}

// queueBackLocked puts a staged evacuation journaled queued again (see
// requeueStaged) back at the head of the queue, as it was before it took
// its slots; it stays known, so that a Submit of its move id does not
// queue it twice.
func (e *Executor) queueBackLocked(j *job) {
	j.back, j.started, j.phase, j.res = false, time.Time{}, "", nil
	e.queue = append([]*job{j}, e.queue...)
	e.metrics.queue.Set(float64(len(e.queue)))
}

// largerAheadLocked reports whether a larger evacuation of j's host is
// still in its checks or staged: the host's next free slot is its, so that
// the largest VMs go first however the checks interleave.
func (e *Executor) largerAheadLocked(j *job) bool {
	size := func(f *job) int64 { return f.m.Bytes + f.m.StorageBytes }
	for _, f := range e.inflight {
		if f == j || !strings.EqualFold(f.m.From, j.m.From) {
			continue
		}
		switch f.phase {
		case phaseValidating, phaseComparing, phaseStaged:
		default:
			continue
		}
		if size(f) > size(j) || size(f) == size(j) && f.id < j.id {
			return true
		}
	}
	return false
}

// migratingLocked counts the moves of this process whose Move-VM may be
// running on host: in phase migrating, to or from it.
func (e *Executor) migratingLocked(host string) int {
	n := 0
	for _, f := range e.inflight {
		if f.phase == phaseMigrating && (strings.EqualFold(f.m.From, host) || strings.EqualFold(f.m.To, host)) {
			n++
		}
	}
	return n
}

// minEvacuationBurst is the least size of the evacuations' token bucket:
// the slots of a draining host fill at once rather than one token apart.
const minEvacuationBurst = 8

// evacuationBurst is the evacuations' bucket size for the configured
// burst.
func evacuationBurst(burst int) int { return max(burst, minEvacuationBurst) }

// evacuationLocked reports whether m is an evacuation: its source is in
// maintenance now.
func (e *Executor) evacuationLocked(m moves.Move) bool { return e.cfg.Evacuating(m.From) }

// evacuationsFirstLocked returns the queue with the evacuations first,
// largest (memory and storage bytes) first, then the other moves in queue
// order.
func (e *Executor) evacuationsFirstLocked() []*job {
	out := make([]*job, 0, len(e.queue))
	var rest []*job
	for _, j := range e.queue {
		if e.evacuationLocked(j.m) {
			out = append(out, j)
		} else {
			rest = append(rest, j)
		}
	}
	slices.SortStableFunc(out, func(a, b *job) int {
		return cmp.Compare(b.m.Bytes+b.m.StorageBytes, a.m.Bytes+a.m.StorageBytes)
	})
	return append(out, rest...)
}
