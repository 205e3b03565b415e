package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/collector"
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
	snapPath := filepath.Join(dir, "snap.json")
	if code, o, e := hvb(t, "snapshot", "--config", cfg, "--out", snapPath, "--samples", "1"); code != 0 {
		t.Fatalf("snapshot: %d %s%s", code, o, e)
	}
	polled, err := collector.LoadSnapshot(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, vm := range polled.VMs {
		if vm.Running() {
			count[vm.Host]++
		}
	}
	host, local := "", ""
	for _, h := range polled.Hosts {
		if h.Maintenance {
			t.Fatalf("%s is in maintenance in the polled snapshot", h.Name)
		}
		if host == "" || count[h.Name] > count[host] {
			host = h.Name
		}
	}
	for _, h := range polled.Hosts {
		if h.Name != host && (local == "" || count[h.Name] > count[local]) {
			local = h.Name
		}
	}
	if code, body := maintenanceCall(t, leader.runningDaemon, http.MethodPost, host, `{"by": "ops", "reason": "firmware"}`); code != http.StatusOK {
		t.Fatalf("maintenance through the leader: %d %s", code, body)
	}
	state := filepath.Join(filepath.Dir(cfg), "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	file := `{"version": 1, "hosts": [{"host": "` + local + `", "since": "2026-01-01T00:00:00Z", "by": "admin"}], "events": []}`
	if err := os.WriteFile(filepath.Join(state, "maintenance.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "p")
	if code, o, e := hvb(t, "plan", "--config", cfg, "--snapshot", snapPath, "--out", out); code != 0 {
		t.Fatalf("plan: %d %s%s", code, o, e)
	}
	plan, written := readPlanDir(t, out)
	for _, h := range written.Hosts {
		switch {
		case h.Name == host && !h.Maintenance:
			t.Errorf("the plan's snapshot does not mark %s in maintenance, entered through the leader's API", host)
		case h.Name == local && h.Maintenance:
			t.Errorf("the plan's snapshot marks %s in maintenance, named only in the plan's own state directory", local)
		}
	}
	away := 0
	for _, m := range plan.Moves {
		if m.To == host {
			t.Errorf("%s moves to %s, in maintenance", m.VMName, host)
		}
		if m.From == host {
			away++
		}
	}
	if away == 0 {
		t.Errorf("no VM moves out of %s, in maintenance with %d running VMs", host, count[host])
	}
}
