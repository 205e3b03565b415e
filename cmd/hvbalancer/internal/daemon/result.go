package daemon

import (
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// A round is the daemon's tick: take the latest snapshot, ask the policy,
// plan, and run or store the plan. It is the only thing this project calls
// a round; one Plan call inside it is a planning pass.

// RoundResult is what one round did, in a word: the label of
// hvbalancer_daemon_rounds_total and the status page's last round.
type RoundResult string

// Round results.
const (
	RoundPlanned     RoundResult = "planned"       // a plan with moves was made and run or stored
	RoundBalanced    RoundResult = "balanced"      // nothing to move, and the plan read enough to say the fleet is balanced
	RoundUnknown     RoundResult = "not known"     // nothing moved, but the plan had too little data to tell whether the fleet is balanced
	RoundNoMove      RoundResult = "no move"       // out of balance, and the planner found no move that helps
	RoundWaiting     RoundResult = "waiting"       // the newest snapshot was taken before the last migration ended
	RoundUnchanged   RoundResult = "unchanged"     // the same moves as a plan already waiting for approval
	RoundBusy        RoundResult = "busy"          // the last plan's moves have not all landed
	RoundFailed      RoundResult = "failed"        // planning or storing the plan failed (Error says why)
	RoundAbandoned   RoundResult = "abandoned"     // the round ran over round_deadline and was abandoned
	RoundNoSnapshot  RoundResult = "no snapshot"   // no snapshot of the fleet yet
	RoundTooFewHosts RoundResult = "too few hosts" // fewer hosts answer than collector.min_answering_share
)

// roundResults lists every result, so that each has a series from the start.
var roundResults = []RoundResult{RoundPlanned, RoundBalanced, RoundUnknown, RoundNoMove, RoundUnchanged, RoundBusy, RoundWaiting, RoundFailed, RoundAbandoned, RoundNoSnapshot, RoundTooFewHosts}

// roundRecord is what the last round did.
type roundRecord struct {
	At     time.Time     // the fleet's clock when it began
	Took   time.Duration // wall-clock time it took
	Result RoundResult
	PlanID string
	Error  string
}

// quietResult is the result of a round whose plan moves nothing: balanced
// only when the plan says so, not known when it could not tell, no move
// when the fleet is out of balance and nothing helps.
func quietResult(p *balancer.Plan) RoundResult {
	switch {
	case p.Balanced == nil:
		return RoundUnknown
	case *p.Balanced:
		return RoundBalanced
	}
	return RoundNoMove
}
