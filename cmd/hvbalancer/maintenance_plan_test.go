package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/collector"
)

// TestOneShotPlanReadsTheMaintenanceState proves that `hvbalancer plan`
// plans with the hosts put in maintenance through the API, as the daemon
// does: with the state directory's maintenance file naming a host, the
// plan from a snapshot that was polled without it marks the host, sends
// no VM to it and moves out of it in one plan every running VM the
// policy lets leave (max_moves is raised for the evacuation, as in the
// daemon's round).
func TestOneShotPlanReadsTheMaintenanceState(t *testing.T) {
	cfg := daemonConfig(t, "manual")
	dir := t.TempDir()
	snapPath := filepath.Join(dir, "snap.json")
	if code, o, e := hvb(t, "snapshot", "--config", cfg, "--out", snapPath, "--samples", "1"); code != 0 {
		t.Fatalf("snapshot: %d %s%s", code, o, e)
	}
	polled, err := collector.LoadSnapshot(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	// The host with the most VMs, in maintenance through the API only.
	count, running := map[string]int{}, map[string]int{}
	for _, vm := range polled.VMs {
		count[vm.Host]++
		if vm.Running() {
			running[vm.Host]++
		}
	}
	host := ""
	for _, h := range polled.Hosts {
		if h.Maintenance {
			t.Fatalf("%s is in maintenance in the polled snapshot", h.Name)
		}
		if host == "" || count[h.Name] > count[host] {
			host = h.Name
		}
	}
	state := filepath.Join(filepath.Dir(cfg), "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	file := `{"version": 1, "hosts": [{"host": "` + host + `", "since": "2026-01-01T00:00:00Z", "by": "admin"}], "events": []}`
	if err := os.WriteFile(filepath.Join(state, "maintenance.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "p")
	if code, o, e := hvb(t, "plan", "--config", cfg, "--snapshot", snapPath, "--out", out); code != 0 {
		t.Fatalf("plan: %d %s%s", code, o, e)
	}
	plan, written := readPlanDir(t, out)
	for _, h := range written.Hosts {
		if h.Name == host && !h.Maintenance {
			t.Errorf("the plan's snapshot does not mark %s in maintenance", host)
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
	// The demo fleet's sql VMs cannot leave: every other host holds one
	// (anti-affinity) or is a cluster node. Each is counted as unmet,
	// denied by the policy; none may be left for want of moves.
	unmet := 0
	for _, u := range plan.Unmet {
		if u.Kind != "maintenance" {
			continue
		}
		if !strings.Contains(u.Why, "the policy denied") {
			t.Errorf("%s", u)
		}
		unmet += u.Count
	}
	if away == 0 || away+unmet != running[host] {
		t.Errorf("%d of the %d running VMs of %s move out and %d are unmet, want every one moved or unmet", away, running[host], host, unmet)
	}
}
