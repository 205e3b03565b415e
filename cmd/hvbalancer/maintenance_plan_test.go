package main

import (
	"path/filepath"
	"strings"
	"testing"
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
	snapPath, polled := snapshotOnce(t, cfg, dir)
	// The host with the most VMs, in maintenance through the API only.
	count, running := map[string]int{}, map[string]int{}
	for _, vm := range polled.VMs {
		count[vm.Host]++
		if vm.Running() {
			running[vm.Host]++
		}
	}
	host := mostOf(t, polled, count)
	writeMaintenanceState(t, cfg, host)

	plan, written, _ := planOnce(t, cfg, snapPath, filepath.Join(dir, "p"))
	for _, h := range written.Hosts {
		if h.Name == host && !h.Maintenance {
			t.Errorf("the plan's snapshot does not mark %s in maintenance", host)
		}
	}
	away := movesOutOf(t, plan, host)
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
