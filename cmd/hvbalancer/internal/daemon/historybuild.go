package daemon

import (
	"maps"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/policy"
)

// Bounds of what history gives the policy and the planner.
const (
	policyHistorySpan = 24 * time.Hour // the policy sees the last day's moves and failures
	historyLimit      = 500            // newest entries of each kind, at most
)

// historyBuilder makes history's lists from the journal's entries, given
// newest first: every entry, or every one that ended after the earlier of
// since and refusedSince (the others add nothing).
type historyBuilder struct {
	h                   policy.History
	hist                *balancer.History
	since, refusedSince time.Time
}

func newHistoryBuilder(now time.Time, memory time.Duration) *historyBuilder {
	b := &historyBuilder{since: now.Add(-policyHistorySpan), refusedSince: now.Add(-memory)}
	b.hist = &balancer.History{LastMoved: map[string]time.Time{}}
	b.h.MovesByVM = map[string]int{}
	return b
}

// historyHorizon is the earliest end of an entry the lists may hold: those
// that ended at or before it add nothing.
func historyHorizon(now time.Time, memory time.Duration) time.Time {
	since, refusedSince := now.Add(-policyHistorySpan), now.Add(-memory)
	if refusedSince.Before(since) {
		return refusedSince
	}
	return since
}

// add adds one entry, the next older one, to the lists and the day's
// count of moves per VM.
func (b *historyBuilder) add(e journal.Entry) {
	h, hist := &b.h, b.hist
	if e.Ended.After(b.since) {
		ev := policy.Event{VM: e.VMID, From: e.From, To: e.To, At: e.Ended.Format(time.RFC3339)}
		switch {
		case e.State == journal.StateSucceeded:
			h.MovesByVM[e.VMID]++
			if len(hist.Moved) < historyLimit {
				hist.Moved = append(hist.Moved, balancer.Migration{VM: e.VMID, From: e.From, To: e.To, Trigger: e.Trigger, At: e.Ended})
			}
			if len(h.Moves) < historyLimit {
				h.Moves = append(h.Moves, ev)
			}
		case e.State == journal.StateFailed && len(h.Failures) < historyLimit:
			ev.Error = e.Error
			h.Failures = append(h.Failures, ev)
		}
	}
	if historyRefusal(e) && e.Ended.After(b.refusedSince) && len(hist.Refused) < historyLimit {
		hist.Refused = append(hist.Refused, balancer.Refusal{VM: e.VMID, To: e.To, At: e.Ended, Cause: e.Cause})
	}
}

// historyRefusal reports whether e is a move Compare-VM refused.
func historyRefusal(e journal.Entry) bool {
	return e.State == journal.StateSkipped && executor.Refusal(e.Cause)
}

// lastMoves is each VM's last successful migration, for the cooldown, and
// when the newest of them ended (landed; zero when none has).
type lastMoves struct {
	at     map[string]time.Time
	landed time.Time
	shared bool // at was handed to a round: changed only in a copy
}

func newLastMoves() lastMoves { return lastMoves{at: map[string]time.Time{}} }

// note notes e when it is a successful migration that ended after its
// VM's last one.
func (m *lastMoves) note(e journal.Entry) {
	if e.State != journal.StateSucceeded || !e.Ended.After(m.at[e.VMID]) {
		return
	}
	m.own()
	m.at[e.VMID] = e.Ended
	m.landed = later(m.landed, e.Ended)
}

// own makes at m's own to change: a copy of the one a round holds.
func (m *lastMoves) own() {
	if m.shared {
		m.at, m.shared = maps.Clone(m.at), false
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
