package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// TestPartitionedLeaderStandsDownWithItsTerm cuts the leader off etcd
// while a migration is in flight, its WinRM access intact: the migration
// ends on the host, and the journal write of its outcome, which cannot
// reach etcd, ends when the term does (the lease runs out) rather than
// after the store's timeout, so the daemon stands down with its term.
// The outcome is left as after a crash: when etcd is back the daemon,
// elected again, locates the VM, journals the move as it ended, and no
// VM is moved twice.
func TestPartitionedLeaderStandsDownWithItsTerm(t *testing.T) {
	// Migrations of seconds: one runs when etcd is cut off, and ends
	// within the lease.
	l := startCutOffLeader(t, 30, "60s")
	cluster, proxy, spec, srv, d, logs := l.cluster, l.proxy, l.spec, l.srv, l.d, l.d.logs
	// Cut when Move-VM has reached the host: the migration ends after the
	// cut, and the executor then journals its outcome.
	var moveID, vmID string
	eventually(t, "a migration running on its host", func() bool {
		st := haStatus(t, d)
		for _, e := range srv.Fleet().Ledger() {
			if e.Outcome == "running" && len(st.InFlight) > 0 && st.InFlight[0].VMName == e.VMName {
				moveID, vmID = st.InFlight[0].MoveID, e.VMID
			}
		}
		return moveID != ""
	})
	proxy.Cut()
	cut, simCut := time.Now(), srv.Fleet().Clock().Now()
	eventually(t, "the cut-off leader stands down", func() bool {
		for _, l := range logs.all() {
			if strings.Contains(l, "standing by: no migration starts here") {
				return true
			}
		}
		return false
	})
	stood := time.Since(cut)
	for _, e := range srv.Fleet().Ledger() {
		if e.VMID == vmID && !e.End.IsZero() {
			t.Logf("the migration in flight ended %s after the cut", time.Duration(float64(e.End.Sub(simCut))/spec.Speed).Round(100*time.Millisecond))
		}
	}
	t.Logf("the leader stood down %s after it lost etcd (session TTL 5s, store timeout %s; load: %s)",
		stood.Round(100*time.Millisecond), etcdjournal.DefaultTimeout, loadAverage())
	ended := ""
	for _, l := range logs.all() {
		if strings.Contains(l, "journal") && strings.Contains(l, moveID) || strings.Contains(l, "journal the outcome") {
			ended += l + "\n"
		}
	}
	if !strings.Contains(ended, etcdjournal.ErrTermEnded.Error()) {
		t.Errorf("no journal write of %s ended with the term:\n%s", moveID, ended)
	}

	proxy.Restore()
	awaitLeader(t, []*haDaemon{d}, nil)
	eventually(t, "the queue runs and the cut move is located", func() bool {
		st := haStatus(t, d)
		return st.Queue == 0 && len(st.InFlight) == 0
	})
	j := etcdjournal.New(cluster.Client(t), etcdjournal.Options{Prefix: config.DefaultHAPrefix + "/"})
	var e journal.Entry
	eventually(t, "the cut move's outcome is journaled", func() bool {
		var err error
		e, err = j.Get(moveID)
		return err == nil && e.State.Final()
	})
	if e.State != journal.StateSucceeded {
		t.Errorf("the move in flight at the cut is journaled %s (%s), want succeeded", e.State, e.Error)
	}
	seen := map[string]int{}
	for _, m := range srv.Fleet().Ledger() {
		if seen[m.VMID]++; seen[m.VMID] > 1 {
			t.Errorf("%s migrated %d times", m.VMName, seen[m.VMID])
		}
	}
	t.Logf("%s: %s, reconciled %v; %d migrations in all", moveID, e.State, e.Reconciled, len(srv.Fleet().Ledger()))
}

// loadAverage is the machine's load averages, to read beside a wall-clock
// figure; empty where /proc/loadavg is not.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
