package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
)

// answering says whether enough of the snapshot's hosts answer: at least
// share of them (rounded up), and at least one. When not, the reason names
// the hosts that do not and why.
func answering(snap *collector.Snapshot, share float64) (bool, string) {
	ok, total := snap.Answering()
	need := max(1, int(math.Ceil(share*float64(total)-1e-9)))
	if ok >= need {
		return true, ""
	}
	return false, fmt.Sprintf("only %d of %d hosts answer, %d must (collector.min_answering_share %g): %s",
		ok, total, need, share, strings.TrimPrefix(unreadableList(snap), ": "))
}

// unreadableList names the hosts that do not answer, with why.
func unreadableList(snap *collector.Snapshot) string {
	var parts []string
	for _, h := range snap.Unreadable() {
		parts = append(parts, fmt.Sprintf("%s (%s)", h.Name, h.Problem()))
	}
	return strings.Join(parts, ", ")
}

// readiness says whether the daemon can do its work, and if not why: it
// has a snapshot, no credential is stopped, and enough hosts answer.
func readiness(snap *collector.Snapshot, stopped []logins.Stopped, share float64) (bool, string) {
	var why []string
	for _, s := range stopped {
		why = append(why, s.Message)
	}
	if snap == nil {
		why = append(why, "no snapshot of the fleet yet")
	} else if ok, reason := answering(snap, share); !ok {
		why = append(why, reason)
	}
	return len(why) == 0, strings.Join(why, "; ")
}
