package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestOneShotPlanReadsHAMaintenance proves that `hvbalancer plan` with an
// ha section plans with the hosts put in maintenance through the API of
// the daemons sharing etcd, as they do: a host an administrator took out
// of the fleet through the leading daemon is marked in the plan's
// snapshot, receives no VM and is emptied, while a host named only in the
// plan's own state directory (which the daemons of an ha section do not
// read) is not.
func TestOneShotPlanReadsHAMaintenance(t *testing.T) {
	endpoint := etcdtest.Start(t, 1).Members[0].ClientURL
	spec, err := sim.LoadFleet("../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveFleet(t, spec)
	extra := fmt.Sprintf("signing: {key_file: %s}\n", filepath.Join(t.TempDir(), "plan-signing.key"))
	leader := awaitLeader(t, startHADaemons(t, srv, spec, 1, endpoint, "manual", time.Hour, extra), nil)

	cfg := standaloneConfig(t, srv, spec, "manual", nil, fmt.Sprintf(
		"ha: {etcd: {endpoints: [%q], session_ttl: 5s}, node_name: hvb-cli}\n%s", endpoint, extra))
	dir := t.TempDir()
	snapPath, polled := snapshotOnce(t, cfg, dir)
	count := map[string]int{}
	for _, vm := range polled.VMs {
		if vm.Running() {
			count[vm.Host]++
		}
	}
	host, local := mostOf(t, polled, count), ""
	for _, h := range polled.Hosts {
		if h.Name != host && (local == "" || count[h.Name] > count[local]) {
			local = h.Name
		}
	}
	if code, body := maintenanceCall(t, leader.runningDaemon, http.MethodPost, host, `{"by": "ops", "reason": "firmware"}`); code != http.StatusOK {
		t.Fatalf("maintenance through the leader: %d %s", code, body)
	}
	writeMaintenanceState(t, cfg, local)

	plan, written, _ := planOnce(t, cfg, snapPath, filepath.Join(dir, "p"))
	for _, h := range written.Hosts {
		switch {
		case h.Name == host && !h.Maintenance:
			t.Errorf("the plan's snapshot does not mark %s in maintenance, entered through the leader's API", host)
		case h.Name == local && h.Maintenance:
			t.Errorf("the plan's snapshot marks %s in maintenance, named only in the plan's own state directory", local)
		}
	}
	if away := movesOutOf(t, plan, host); away == 0 {
		t.Errorf("no VM moves out of %s, in maintenance with %d running VMs", host, count[host])
	}
}
