package daemon

import (
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

// history turns the journal into the policy's history (the last day) and
// the planner's: each VM's last migration, for the cooldown (however long
// ago: the cooldown may be longer than a day), the newest historyLimit
// migrations of the day, for its hysteresis per host pair (it reads those
// within the cooldown), and the moves Compare-VM refused within the
// planner's refusal memory. landed is when the newest
// successful migration ended (zero when none has). One pass over the
// journal serves all of it.
//
// The policy's lists hold the newest historyLimit moves and failures that
// ended within the day; its count of each VM's moves of the day
// (MovesByVM) is made over every one of them, so a rule capping a VM's
// moves per day holds on a day busier than the lists.
func (d *Daemon) history(now time.Time, memory time.Duration) (h policy.History, hist *balancer.History, landed time.Time, err error) {
	since, refusedSince := now.Add(-policyHistorySpan), now.Add(-memory)
	hist = &balancer.History{LastMoved: map[string]time.Time{}}
	h.MovesByVM = map[string]int{}
	_, err = d.journal.Entries(0, func(e journal.Entry) bool { // newest first
		if e.State == journal.StateSucceeded && e.Ended.After(hist.LastMoved[e.VMID]) {
			hist.LastMoved[e.VMID] = e.Ended
			landed = later(landed, e.Ended)
		}
		if e.Ended.After(since) {
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
		if e.State == journal.StateSkipped && executor.Refusal(e.Cause) && e.Ended.After(refusedSince) && len(hist.Refused) < historyLimit {
			hist.Refused = append(hist.Refused, balancer.Refusal{VM: e.VMID, To: e.To, At: e.Ended, Cause: e.Cause})
		}
		return false // nothing to keep: the pass fills what it needs
	})
	if err != nil {
		return h, nil, landed, err
	}
	return h, hist, landed, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
