package daemon

import "time"

// A round is the daemon's tick: take the latest snapshot, ask the policy,
// plan, and run or store the plan. It is the only thing this project calls
// a round; one Plan call inside it is a planning pass.

// RoundResult is what one round did, in a word: the label of
// hvbalancer_daemon_rounds_total and the status page's last round.
type RoundResult string

// Round results.
const (
	RoundPlanned     RoundResult = "planned"       // a plan with moves was made and run or stored
	RoundBalanced    RoundResult = "balanced"      // nothing to move
	RoundUnchanged   RoundResult = "unchanged"     // the same moves as a plan already waiting for approval
	RoundBusy        RoundResult = "busy"          // the last plan's moves have not all landed
	RoundFailed      RoundResult = "failed"        // planning or storing the plan failed (Error says why)
	RoundNoSnapshot  RoundResult = "no snapshot"   // no snapshot of the fleet yet
	RoundTooFewHosts RoundResult = "too few hosts" // fewer hosts answer than collector.min_answering_share
)

// roundResults lists every result, so that each has a series from the start.
var roundResults = []RoundResult{RoundPlanned, RoundBalanced, RoundUnchanged, RoundBusy, RoundFailed, RoundNoSnapshot, RoundTooFewHosts}

// roundRecord is what the last round did.
type roundRecord struct {
	At     time.Time     // the fleet's clock when it began
	Took   time.Duration // wall-clock time it took
	Result RoundResult
	PlanID string
	Error  string
}
