package executor

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// Move phases, shown by Status.
const (
	phaseValidating = "validating"
	phaseComparing  = "comparing"
	phaseMigrating  = "migrating"
	phaseVerifying  = "verifying"
)

// execute is one move's life once it holds its slots, top to bottom:
// journal the intent, re-validate (a stale move is skipped), ask Compare-VM
// (a destination that cannot take the VM skips it, typed by the first
// reason), journal the start (synced before Move-VM is sent), Move-VM,
// verify by locating the VM, journal the outcome. A move whose outcome is lost on the way is
// journaled as unknown and its VM blocked until located (see lost). A move
// refused before it takes slots never gets here: see refuse.
func (e *Executor) execute(ctx context.Context, j *job) {
	// The move ID names the plan; the VM's name says what an
	// administrator reads, its ID which VM it is (names are not unique).
	// The hosts are said where the move starts or ends otherwise than
	// planned; its success needs only the move ID to pair with its start.
	log := e.log.With("move_id", j.id, "vm", j.m.VMName, "vm_id", j.m.VM)
	if _, created, err := e.journal.Intend(e.entryOf(j, e.cfg.Now())); err != nil || !created {
		e.cancelToken(j)
		if err != nil {
			log.Error("journal the intent; not migrating", "err", err)
			e.emit(j, EventSkipped, CauseJournal, err.Error())
		} else {
			log.Warn("move already journaled; not migrating it again")
		}
		return
	}
	if e.val != nil {
		vctx, cancel := context.WithTimeout(ctx, e.cfg.VerifyTimeout)
		err := e.val.Validate(vctx, j.m, e.earlier(j))
		cancel()
		if err != nil {
			e.cancelToken(j)
			e.outcome(j, journal.StateSkipped, CauseStale, err.Error(), log)
			return
		}
	}
	if !e.compatible(ctx, j, log) {
		return
	}
	if !e.awaitWire(j) {
		e.cancelToken(j)
		e.requeueStaged(j, log)
		return
	}
	if _, err := e.journal.Transition(j.id, journal.StateStarted, e.cfg.Now(), "", ""); err != nil {
		e.cancelToken(j)
		log.Error("journal the start; not migrating", "err", err)
		e.outcome(j, journal.StateSkipped, CauseJournal, err.Error(), log)
		return
	}
	e.setPhase(j, phaseMigrating)
	log.Info("migrating", "from", j.m.From, "to", j.m.To)
	e.emit(j, EventStarted, "", "")
	start := e.cfg.Now()
	mctx, cancel := context.WithTimeout(ctx, e.cfg.MigrateTimeout)
	err := e.mig.Migrate(mctx, j.m)
	cancel()
	e.metrics.duration.Observe(e.cfg.Now().Sub(start).Seconds())
	if err != nil {
		if cause := Cause(err); cause != CauseOutcomeUnknown {
			e.outcome(j, journal.StateFailed, cause, err.Error(), log)
			return
		}
		e.lost(j, err.Error(), log)
		return
	}
	e.setPhase(j, phaseVerifying)
	vctx, cancel := context.WithTimeout(ctx, e.cfg.VerifyTimeout)
	loc, err := e.mig.Locate(vctx, j.m.VM, j.m.To, j.m.From)
	cancel()
	switch {
	case err == nil && strings.EqualFold(loc.Host, j.m.To) && loc.Running && !loc.Migrating:
		e.outcome(j, journal.StateSucceeded, "", "", log)
	case err == nil && strings.EqualFold(loc.Host, j.m.From) && !loc.Migrating:
		e.outcome(j, journal.StateFailed, CauseVerification, "Move-VM reported success but the vm is still on "+loc.Host, log)
	case err != nil:
		e.lost(j, "Move-VM reported success; verify: "+err.Error(), log)
	default:
		e.lost(j, "Move-VM reported success but the vm was found on "+describe(loc), log)
	}
}

// compatible runs Compare-VM for j before Move-VM is sent. It reports
// whether the move may go on; when not, the move is journaled as skipped
// with the cause of Compare-VM's first reason (or of its failure) and its
// token given back.
func (e *Executor) compatible(ctx context.Context, j *job, log *slog.Logger) bool {
	e.setPhase(j, phaseComparing)
	cctx, cancel := context.WithTimeout(ctx, e.cfg.VerifyTimeout)
	report, err := e.mig.Compare(cctx, j.m)
	cancel()
	switch {
	case err != nil:
		e.cancelToken(j)
		e.outcome(j, journal.StateSkipped, compareCause(err), "Compare-VM: "+err.Error(), log)
		return false
	case len(report) > 0:
		e.cancelToken(j)
		cause, msg := reportCause(report)
		e.outcome(j, journal.StateSkipped, cause, msg, log)
		return false
	}
	return true
}

// refuse journals a move that may not run: intent, then skipped.
func (e *Executor) refuse(j *job, cause, reason string) {
	defer func() {
		e.mu.Lock()
		delete(e.known, j.id)
		e.broadcastLocked()
		e.mu.Unlock()
	}()
	now := e.cfg.Now()
	if _, created, err := e.journal.Intend(e.entryOf(j, now)); err != nil || !created {
		if err != nil {
			e.log.Error("journal a refused move", "move_id", j.id, "err", err)
			e.emit(j, EventSkipped, CauseJournal, err.Error())
		}
		return
	}
	if _, err := e.journal.Transition(j.id, journal.StateSkipped, now, cause, reason); err != nil {
		e.log.Error("journal a refused move", "move_id", j.id, "err", err)
		e.block(j, journal.StateIntent)
		return
	}
	e.metrics.migrations.WithLabelValues(resultSkipped).Inc()
	e.logSkip(j, cause, reason)
	e.emit(j, EventSkipped, cause, reason)
}

// logSkip says that j was skipped, and why in brief: the move ID finds its
// journal entry, which keeps the VM's ID, both hosts and the whole reason.
func (e *Executor) logSkip(j *job, cause, reason string) {
	e.log.Info("move skipped", "move_id", j.id, "vm", j.m.VMName, "cause", cause, "reason", skipText(j.id, j.m.VMName, cause, reason))
}

// entryOf is j's journal entry.
func (e *Executor) entryOf(j *job, now time.Time) journal.Entry {
	return journal.Entry{
		MoveID: j.id, PlanID: j.plan, VMID: j.m.VM, VMName: j.m.VMName, From: j.m.From, To: j.m.To,
		Trigger: j.m.Trigger, Bytes: j.m.Bytes, Intent: now,
	}
}

// cancelToken gives back the token of a move that did not migrate.
func (e *Executor) cancelToken(j *job) {
	if j.res != nil {
		j.res.CancelAt(e.cfg.Now())
	}
}

func (e *Executor) setPhase(j *job, p string) {
	e.mu.Lock()
	if j.phase == phaseMigrating {
		e.broadcastLocked() // a host's migration slot freed (see awaitWire)
	}
	j.phase = p
	e.mu.Unlock()
}

// emit sends a job's event to OnEvent.
func (e *Executor) emit(j *job, kind EventKind, cause, msg string) {
	if e.cfg.OnEvent == nil {
		return
	}
	now := e.cfg.Now()
	ev := Event{
		Kind: kind, At: now, MoveID: j.id, PlanID: j.plan, VMID: j.m.VM, VMName: j.m.VMName,
		From: j.m.From, To: j.m.To, Bytes: j.m.Bytes, Cause: cause, Err: msg, State: eventState[kind],
	}
	if !j.started.IsZero() {
		ev.Elapsed = now.Sub(j.started)
	}
	e.cfg.OnEvent(ev)
}

// outcome journals a final state and updates the cooldowns, holds and
// breakers.
func (e *Executor) outcome(j *job, s journal.State, cause, msg string, log *slog.Logger) {
	now := e.cfg.Now()
	if _, err := e.journal.Transition(j.id, s, now, cause, msg); err != nil {
		// The entry still says intent or started: the VM stays blocked
		// until Reconcile locates it.
		log.Error("journal the outcome", "state", s, "err", err)
		e.block(j, journal.StateStarted)
		return
	}
	e.metrics.migrations.WithLabelValues(string(s)).Inc()
	e.mu.Lock()
	switch s {
	case journal.StateSucceeded:
		e.lastMoved[j.m.VM] = now
		e.breakerResultLocked(j, true, now)
	case journal.StateFailed:
		e.held[j.m.VM] = now.Add(e.cfg.HoldAfterFailure)
		e.breakerResultLocked(j, false, now)
		e.unbegunLocked(j)
	default:
		e.breakerEndTrialLocked(j)
		e.unbegunLocked(j)
	}
	e.mu.Unlock()
	switch s {
	case journal.StateSucceeded:
		log.Info("migrated", "elapsed", now.Sub(j.started).Round(100*time.Millisecond))
		e.emit(j, EventSucceeded, "", "")
	case journal.StateFailed:
		log.Warn("migration failed; vm held", "from", j.m.From, "to", j.m.To, "cause", cause, "err", clip(msg), "until", now.Add(e.cfg.HoldAfterFailure))
		e.emit(j, EventFailed, cause, msg)
	default:
		e.logSkip(j, cause, msg)
		e.emit(j, EventSkipped, cause, msg)
	}
}

// lost journals a migration whose outcome is not known, blocks its VM and
// locates it in the background.
func (e *Executor) lost(j *job, msg string, log *slog.Logger) {
	now := e.cfg.Now()
	en := e.entryOf(j, j.queued)
	en.State = journal.StateUnknown
	e.mu.Lock()
	e.unresolved[j.id] = en
	e.reconciling[j.id] = true
	// Lost connections count against both hosts as failures do.
	e.breakerResultLocked(j, false, now)
	e.mu.Unlock()
	if _, err := e.journal.Transition(j.id, journal.StateUnknown, now, CauseOutcomeUnknown, msg); err != nil {
		log.Error("journal the unknown outcome", "err", err)
	}
	e.metrics.migrations.WithLabelValues(resultUnknown).Inc()
	log.Warn("migration outcome unknown; the vm is blocked until located", "from", j.m.From, "to", j.m.To, "err", clip(msg))
	e.emit(j, EventUnknown, CauseOutcomeUnknown, msg)
	e.reconcileLater(en)
}

// block marks j's VM as blocked by an entry in state s that the journal
// could not move on: Reconcile resolves it.
func (e *Executor) block(j *job, s journal.State) {
	en := e.entryOf(j, j.queued)
	en.State = s
	e.mu.Lock()
	e.unresolved[j.id] = en
	e.mu.Unlock()
}

// describe says where and how a VM was found.
func describe(l Location) string {
	s := l.Host + " (" + l.State
	if l.Migrating {
		s += ", migrating"
	}
	return s + ")"
}
