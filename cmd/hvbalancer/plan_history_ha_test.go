package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestOneShotPlanReadsTheSharedJournal proves that `hvbalancer plan` with
// an ha section plans with the history of the journal the daemons share
// in etcd: a VM the first plan moves, journaled there as moved a minute
// before the snapshot (within the one-hour cooldown), is not proposed by
// the next plan of the same snapshot.
func TestOneShotPlanReadsTheSharedJournal(t *testing.T) {
	cluster := etcdtest.Start(t, 1)
	spec, err := sim.LoadFleet("../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveFleet(t, spec)
	cfg := standaloneConfig(t, srv, spec, "manual", nil, fmt.Sprintf(
		"planner: {max_moves: 10, cooldown: 1h}\nha: {etcd: {endpoints: [%q], session_ttl: 5s}, node_name: hvb-cli}\nsigning: {key_file: %s}\n",
		cluster.Members[0].ClientURL, filepath.Join(t.TempDir(), "plan-signing.key")))
	dir := t.TempDir()
	snapPath, _ := snapshotOnce(t, cfg, dir)
	plan := func(name string) *balancer.Plan {
		p, _, _ := planOnce(t, cfg, snapPath, filepath.Join(dir, name))
		if p.HistoryUnread != "" {
			t.Errorf("the shared journal was readable, yet the plan says %q", p.HistoryUnread)
		}
		return p
	}
	first := plan("first")
	if len(first.Moves) == 0 {
		t.Fatal("the first plan moves nothing: nothing to cool down")
	}
	m := first.Moves[0]
	j := etcdjournal.New(cluster.Client(t), etcdjournal.Options{Prefix: config.DefaultHAPrefix + "/"})
	journalMoveBack(t, j, first, m)
	for _, n := range plan("next").Moves {
		if n.VM == m.VM {
			t.Errorf("%s moves %s -> %s a minute after the shared journal's move, within the 1h cooldown", n.VMName, n.From, n.To)
		}
	}
}
