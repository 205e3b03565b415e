package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/policy"
)

// JournalLockWait is how long ReadPlanHistory waits for the local
// journal's lock before it plans without the history: a running daemon
// holds the file for as long as it runs.
const JournalLockWait = 500 * time.Millisecond

// PlanHistory is the journal's history a plan made outside a round is
// made with: the policy's and the planner's, as a round reads them (see
// Daemon.history). Unread says why the journal could not be read, and
// the plan is made without its history; empty when it was read (or when
// there is no journal yet, which has no history to give).
type PlanHistory struct {
	Policy  policy.History
	Planner *balancer.History
	Unread  string
}

// ReadPlanHistory reads at now the history the daemons of c plan with:
// with an ha section, the journal in etcd under its prefix (etcd not
// answering is an error, as it is for the maintenance state); else the
// journal in c's state directory, opened read-only for at most lockWait.
// A local journal held by a running daemon gives a PlanHistory with
// Unread set; one that does not exist, an empty history.
func ReadPlanHistory(c *config.Config, now time.Time, lockWait time.Duration) (PlanHistory, error) {
	if c.HA != nil {
		return readSharedPlanHistory(c, now)
	}
	path := filepath.Join(c.StateDir, "journal.db")
	j, err := journal.OpenReadOnly(path, lockWait)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return PlanHistory{}, nil
	case errors.Is(err, journal.ErrLocked):
		return PlanHistory{Unread: fmt.Sprintf("the journal %s is held by a running daemon (its own plans honour the history)", path)}, nil
	case err != nil:
		return PlanHistory{}, fmt.Errorf("read history: %w", err)
	}
	defer j.Close()
	return planHistoryOf(j, c, now)
}

func readSharedPlanHistory(c *config.Config, now time.Time) (PlanHistory, error) {
	hc, err := HAConfig(c)
	if err != nil {
		return PlanHistory{}, err
	}
	el, err := ha.New(hc, slog.New(slog.DiscardHandler), prometheus.NewRegistry()) // reads only: it never campaigns
	if err != nil {
		return PlanHistory{}, err
	}
	defer el.Close()
	return planHistoryOf(etcdjournal.New(el.Client(), etcdjournal.Options{Prefix: hc.Prefix + "/"}), c, now)
}

func planHistoryOf(j journal.Store, c *config.Config, now time.Time) (PlanHistory, error) {
	h, hist, _, err := readHistory(j, now, c.Planner.RefusalMemory)
	if err != nil {
		return PlanHistory{}, fmt.Errorf("read history: %w", err)
	}
	return PlanHistory{Policy: h, Planner: hist}, nil
}
