package executor

import "github.com/hvbalancer/hvbalancer/balancer/moves"

// earlier returns the moves of j's Submit call before j that took their
// slots and did not fail or skip: what j's re-validation applies first.
// One still being validated counts, as the planner counted it; one that
// failed or was skipped does not, since its VM stayed on its source. A
// move whose outcome is unknown keeps counting.
func (e *Executor) earlier(j *job) []moves.Move {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []moves.Move
	for _, b := range e.begun[j.plan] {
		if b != j && b.index < j.index {
			out = append(out, b.m)
		}
	}
	return out
}

// unbegunLocked drops j from its Submit call's begun moves: it failed or
// was skipped, so its VM stays on its source.
func (e *Executor) unbegunLocked(j *job) {
	list := e.begun[j.plan]
	for i, b := range list {
		if b == j {
			e.begun[j.plan] = append(list[:i:i], list[i+1:]...)
			return
		}
	}
}

// forgetPlanLocked drops a Submit call's begun moves once none of its
// moves is queued or in flight.
func (e *Executor) forgetPlanLocked(plan string) {
	if _, ok := e.begun[plan]; !ok {
		return
	}
	for _, q := range e.queue {
		if q.plan == plan {
			return
		}
	}
	for _, f := range e.inflight {
		if f.plan == plan {
			return
		}
	}
	delete(e.begun, plan)
}
