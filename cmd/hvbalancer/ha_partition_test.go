package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha/hatest"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// cutOffLeader is one daemon, hvb-a, leading with full automation over
// an etcd it reaches through a proxy that can cut it off, its WinRM
// access to the demo fleet direct; its executor runs one migration at a
// time.
type cutOffLeader struct {
	cluster *etcdtest.Cluster
	proxy   *hatest.Proxy
	spec    *sim.FleetSpec
	srv     *sim.Server
	d       *haDaemon
}

// startCutOffLeader starts a cutOffLeader and waits until it leads. A
// speed above 0 replaces the demo fleet's; drain is the executor's
// drain_timeout.
func startCutOffLeader(t *testing.T, speed float64, drain string) cutOffLeader {
	t.Helper()
	l := cutOffLeader{cluster: etcdtest.Start(t, 1)}
	u, _ := url.Parse(l.cluster.Members[0].ClientURL)
	l.proxy = hatest.NewProxy(t, u.Host)
	spec, err := sim.LoadFleet("../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if speed > 0 {
		spec.Speed = speed
	}
	l.spec, l.srv = spec, serveFleet(t, spec)
	cfg := standaloneConfig(t, l.srv, spec, "full", nil, fmt.Sprintf(`planner: {max_moves: 10, cooldown: 1h}
executor: {max_concurrent: 1, migrations_per_minute: 20, burst: 1, drain_timeout: %s}
ha: {etcd: {endpoints: [%q], session_ttl: 5s}, node_name: hvb-a}
signing: {key_file: %s}
`, drain, l.proxy.URL(), filepath.Join(t.TempDir(), "plan-signing.key")))
	rd, logs := startLoggingDaemon(t, cfg)
	showLogsOnFailure(t, logs)
	l.d = &haDaemon{runningDaemon: rd, name: "hvb-a", logs: logs}
	awaitLeader(t, []*haDaemon{l.d}, nil)
	return l
}

// TestPartitionedLeaderStartsNothing cuts the leader off etcd while its
// plan's migrations start one after another, its WinRM access intact: no
// migration starts after the cut (the journal and the fence are etcd's,
// and etcd cannot be reached), the daemon stops leading once its lease
// runs out, and its queued moves wait. When etcd is back it is elected
// again and runs what waited, each VM moved once.
func TestPartitionedLeaderStartsNothing(t *testing.T) {
	l := startCutOffLeader(t, 0, "30s")
	proxy, spec, srv, d := l.proxy, l.spec, l.srv, l.d
	eventually(t, "two migrations started", func() bool { return len(srv.Fleet().Ledger()) >= 2 })

	proxy.Cut()
	cut, simCut := time.Now(), srv.Fleet().Clock().Now()
	queued := haStatus(t, d).Queue
	eventually(t, "the cut-off leader stands down", func() bool { return !haStatus(t, d).HA.Leading })
	t.Logf("the leader stood down %s after it lost etcd (session TTL 5s); %d moves were queued", time.Since(cut).Round(time.Millisecond), queued)
	time.Sleep(5 * time.Second) // another lease: nothing may start meanwhile either
	// A Move-VM sent just before the cut may reach the host just after:
	// a second of real time.
	late := simCut.Add(time.Duration(spec.Speed) * time.Second)
	for _, e := range srv.Fleet().Ledger() {
		if e.Queued.After(late) {
			t.Errorf("migration of %s (%s to %s) started %s after etcd was cut off", e.VMName, e.Source, e.Destination, e.Queued.Sub(simCut))
		}
	}
	if queued == 0 {
		t.Fatal("no move was waiting when etcd was cut off: the test proves nothing; slow the executor down")
	}

	before := len(srv.Fleet().Ledger())
	proxy.Restore()
	awaitLeader(t, []*haDaemon{d}, nil)
	eventually(t, "the waiting moves run", func() bool {
		st := haStatus(t, d)
		return len(srv.Fleet().Ledger()) > before && st.Queue == 0 && len(st.InFlight) == 0
	})
	seen := map[string]int{}
	for _, e := range srv.Fleet().Ledger() {
		if seen[e.VMID]++; seen[e.VMID] > 1 {
			t.Errorf("%s migrated %d times", e.VMName, seen[e.VMID])
		}
	}
	t.Logf("%d migrations before the cut, %d in all", before, len(srv.Fleet().Ledger()))
}
