package daemon

import (
	"strings"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
)

// readiness says whether the daemon can do its work, and if not why: the
// journal is reconciled, it has a snapshot, no credential is stopped,
// enough hosts answer, and no round was abandoned since the last that
// completed (rounds says why, or "").
func readiness(reconciled bool, snap *collector.Snapshot, stopped []logins.Stopped, share float64, rounds string) (bool, string) {
	var why []string
	if !reconciled {
		why = append(why, "reconciling the journal: migrations whose outcome is not known are being located; no round runs until that ends")
	}
	for _, s := range stopped {
		why = append(why, s.Message)
	}
	if snap == nil {
		why = append(why, "no snapshot of the fleet yet")
	} else if ok, reason := fleet.Answering(snap, share); !ok {
		why = append(why, reason)
	}
	if rounds != "" {
		why = append(why, rounds)
	}
	return len(why) == 0, strings.Join(why, "; ")
}
