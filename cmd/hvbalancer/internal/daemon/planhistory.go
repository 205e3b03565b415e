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
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// JournalLockWait is how long ReadPlanState waits for the local
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

// ReadPlanState reads what a plan made outside a round is made with,
// where the daemons of c keep it: the snapshot with the hosts in
// maintenance (see WithMaintenance; the API's too) and the journal's
// history at the snapshot's time.
//
// With an ha section both are read in etcd under its prefix, through one
// client that never campaigns (the state directory's files are not the
// daemons'); etcd not answering is an error, since a plan made without
// them could send VMs to a host an administrator took out of the fleet.
// Else both are read in c's state directory, the journal opened read-only
// for at most lockWait: one held by a running daemon gives a PlanHistory
// with Unread set; one that does not exist, an empty history.
func ReadPlanState(c *config.Config, snap *collector.Snapshot, lockWait time.Duration) (*collector.Snapshot, PlanHistory, error) {
	if c.HA != nil {
		return readSharedPlanState(c, snap)
	}
	snap, err := WithMaintenance(c, snap)
	if err != nil {
		return nil, PlanHistory{}, err
	}
	h, err := readLocalPlanHistory(c, snap.Taken, lockWait)
	return snap, h, err
}

func readLocalPlanHistory(c *config.Config, now time.Time, lockWait time.Duration) (PlanHistory, error) {
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

func readSharedPlanState(c *config.Config, snap *collector.Snapshot) (*collector.Snapshot, PlanHistory, error) {
	hc, err := HAConfig(c)
	if err != nil {
		return nil, PlanHistory{}, err
	}
	el, err := ha.New(hc, slog.New(slog.DiscardHandler), prometheus.NewRegistry()) // reads only: it never campaigns
	if err != nil {
		return nil, PlanHistory{}, err
	}
	defer el.Close()
	m := openSharedMaintenance(el)
	if _, err := m.load(); err != nil {
		return nil, PlanHistory{}, err
	}
	api, _ := m.entries()
	snap = withMaintenance(snap, c, api)
	h, err := planHistoryOf(sharedJournal(el, etcdjournal.Options{}), c, snap.Taken)
	if err != nil {
		return nil, PlanHistory{}, err
	}
	return snap, h, nil
}

func planHistoryOf(j journal.Store, c *config.Config, now time.Time) (PlanHistory, error) {
	h, hist, _, err := readHistory(j, now, c.Planner.RefusalMemory)
	if err != nil {
		return PlanHistory{}, fmt.Errorf("read history: %w", err)
	}
	return PlanHistory{Policy: h, Planner: hist}, nil
}
