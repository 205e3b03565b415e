package balancer

import (
	"fmt"
	"strings"
)

// stop is why the balancing search of a pass ended.
type stop int

const (
	stopNone         stop = iota // the search has not ended (or not run)
	stopRequestsOnly             // aggressiveness 1: no balancing search
	stopMaxMoves                 // the plan reached max_moves
	stopWithinTarget             // no host hot, every spread within target_spread
	stopNoGain                   // no move within the hard limits gains the minimum
	stopDeniedBudget             // the policy denied as many candidates as a step judges
	stopDenied                   // the policy denied every candidate that gains the minimum
	stopPenalty                  // with the policy's penalties none gains the minimum
)

// gainsLeft reports whether the search may have left a move that gains
// the minimum, allowed by the hard limits: the plan reached max_moves, or
// the policy denied the moves that gain it.
func (s stop) gainsLeft() bool {
	switch s {
	case stopMaxMoves, stopDeniedBudget, stopDenied:
		return true
	}
	return false
}

// verdict says whether the plan leaves nothing to do.
//
//   - false: the plan moves something; or a host that takes part is hot
//     (above cpu_high or memory_high) after all; or the search left moves
//     that gain the minimum, because the plan reached max_moves or the
//     policy denied them.
//   - unknown (nil), with the reason: otherwise, when the plan read too
//     little to tell (see tooLittleData).
//   - true: otherwise: every host was read, no host is hot, and either
//     every weighted spread is within target_spread or no move within the
//     hard limits gains at least the minimum gain of the aggressiveness
//     (after the policy's penalties). With the default target_spread 0 the
//     spread is almost never 0, so the second is how a fleet is balanced:
//     the planner has nothing it would do.
func (r *pass) verdict(p *Plan) (*bool, string) {
	no, yes := false, true
	if len(p.Moves) > 0 {
		return &no, ""
	}
	for _, hi := range r.st.elig {
		if r.st.hot(&r.st.hosts[hi]) {
			return &no, ""
		}
	}
	if why := r.tooLittleData(p); why != "" {
		return nil, why
	}
	if r.stop.gainsLeft() {
		return &no, ""
	}
	return &yes, ""
}

// tooLittleData says why the plan cannot tell whether the fleet is
// balanced, or "" when it can: no host can take part, an eligible host has
// no load sample, or some hosts could not be read.
func (r *pass) tooLittleData(p *Plan) string {
	st := r.st
	if len(st.elig) == 0 {
		return fmt.Sprintf("no host can take part (of %s, none is ok, out of maintenance, with live migration on and capacity known)",
			plural(len(st.hosts), "host"))
	}
	var unsampled []string
	for _, hi := range st.elig {
		if st.hosts[hi].h.Samples == 0 {
			unsampled = append(unsampled, st.hosts[hi].h.Name)
		}
	}
	if len(unsampled) > 0 {
		return fmt.Sprintf("%s no load sample yet (%s)", plural(len(unsampled), "host has", "hosts have"), strings.Join(unsampled, ", "))
	}
	if len(p.Missing) > 0 {
		names := make([]string, len(p.Missing))
		for i, h := range p.Missing {
			names[i] = h.Name
		}
		return fmt.Sprintf("%d of %s could not be read (%s), so their load as it is now is not known",
			len(p.Missing), plural(len(st.hosts), "host"), strings.Join(names, ", "))
	}
	return ""
}
