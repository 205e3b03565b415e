package daemon

import (
	"strings"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
)

// readiness says whether the daemon can do its work, and if not why: it
// has a snapshot, no credential is stopped, and enough hosts answer.
func readiness(snap *collector.Snapshot, stopped []logins.Stopped, share float64) (bool, string) {
	var why []string
	for _, s := range stopped {
		why = append(why, s.Message)
	}
	if snap == nil {
		why = append(why, "no snapshot of the fleet yet")
	} else if ok, reason := fleet.Answering(snap, share); !ok {
		why = append(why, reason)
	}
	return len(why) == 0, strings.Join(why, "; ")
}
