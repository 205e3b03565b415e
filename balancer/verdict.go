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
	stopTooFewHosts              // fewer than two hosts can take part
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
//     that gain the minimum, because the plan reached max_moves, the
//     policy denied them, or the hysteresis per host pair held them back
//     (see heldStop), or the VMs they move are in their cooldown (see
//     cooldownStop): the planner would move load but for a recent move,
//     and a fleet it would change is not balanced. So too when the policy
//     denied every cooled VM's move it was asked about and more were left
//     unasked, as when a balancing step's denials use up its budget.
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
	if r.stop.gainsLeft() || r.search.HeldBack > 0 || r.cooled > 0 || r.cooledUnasked > 0 {
		return &no, ""
	}
	return &yes, ""
}

// tooLittleData says why the plan cannot tell whether the fleet is
// balanced, or "" when it can: fewer than two hosts can take part, an
// eligible host has no load sample, or some hosts could not be read.
func (r *pass) tooLittleData(p *Plan) string {
	st := r.st
	if len(st.elig) == 0 {
		return fmt.Sprintf("no host can take part (of %s, none is ok, out of maintenance, with live migration on and capacity known: %s)",
			plural(len(st.hosts), "host"), st.whyOut())
	}
	if len(st.elig) == 1 {
		return st.tooFewHosts()
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

// tooFewHosts says why the balancing search cannot run, "" when at least
// two hosts can take part.
func (st *state) tooFewHosts() string {
	switch len(st.elig) {
	case 0:
		if len(st.hosts) == 0 {
			return "the snapshot has no host"
		}
		return fmt.Sprintf("no host can take part in balancing (of %s: %s)", plural(len(st.hosts), "host"), st.whyOut())
	case 1:
		if len(st.hosts) == 1 {
			return fmt.Sprintf("%s is the only host, and balancing needs two", st.hosts[0].h.Name)
		}
		return fmt.Sprintf("only %s can take part in balancing, and a move needs two (of %s: %s)",
			st.hosts[st.elig[0]].h.Name, plural(len(st.hosts), "host"), st.whyOut())
	}
	return ""
}

// whyOut counts the hosts that cannot take part by their status, naming
// the first few of each: "2 stale (hv01, hv02), 1 in maintenance (hv03)".
func (st *state) whyOut() string {
	const names = 3
	type group struct {
		status string
		hosts  []string
		n      int
	}
	var groups []*group
	by := map[string]*group{}
	for i := range st.hosts {
		h := &st.hosts[i]
		if h.eligible {
			continue
		}
		status := hostStatus(h)
		g := by[status]
		if g == nil {
			g = &group{status: status}
			by[status] = g
			groups = append(groups, g)
		}
		g.n++
		if len(g.hosts) < names {
			g.hosts = append(g.hosts, h.h.Name)
		}
	}
	if len(groups) == 0 {
		return "none is out"
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		list := strings.Join(g.hosts, ", ")
		if g.n > len(g.hosts) {
			list += fmt.Sprintf(" and %d more", g.n-len(g.hosts))
		}
		status := g.status
		if status == "maintenance" {
			status = "in maintenance"
		}
		parts[i] = fmt.Sprintf("%d %s (%s)", g.n, status, list)
	}
	return strings.Join(parts, ", ")
}
