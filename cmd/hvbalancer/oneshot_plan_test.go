package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/collector"
)

// snapshotOnce polls the fleet of cfg once with `hvbalancer snapshot`
// into dir and returns the snapshot's path and what it holds.
func snapshotOnce(t *testing.T, cfg, dir string) (string, *collector.Snapshot) {
	t.Helper()
	snapPath := filepath.Join(dir, "snap.json")
	if code, o, e := hvb(t, "snapshot", "--config", cfg, "--out", snapPath, "--samples", "1"); code != 0 {
		t.Fatalf("snapshot: %d %s%s", code, o, e)
	}
	polled, err := collector.LoadSnapshot(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	return snapPath, polled
}

// planOnce runs `hvbalancer plan` of the snapshot at snapPath into out and
// returns the plan, the snapshot it wrote beside it and what it printed.
func planOnce(t *testing.T, cfg, snapPath, out string) (*balancer.Plan, *collector.Snapshot, printed) {
	t.Helper()
	code, o, e := hvb(t, "plan", "--config", cfg, "--snapshot", snapPath, "--out", out)
	if code != 0 {
		t.Fatalf("plan: %d %s%s", code, o, e)
	}
	plan, written := readPlanDir(t, out)
	return plan, written, printed{stdout: o, stderr: e}
}

// printed is what a command wrote on stdout and on stderr.
type printed struct{ stdout, stderr string }

// mostOf returns the host of polled with the highest count, failing if a
// host is already in maintenance in it.
func mostOf(t *testing.T, polled *collector.Snapshot, count map[string]int) string {
	t.Helper()
	host := ""
	for _, h := range polled.Hosts {
		if h.Maintenance {
			t.Fatalf("%s is in maintenance in the polled snapshot", h.Name)
		}
		if host == "" || count[h.Name] > count[host] {
			host = h.Name
		}
	}
	return host
}

// writeMaintenanceState names host in maintenance in the state directory
// beside cfg, as the API leaves it there.
func writeMaintenanceState(t *testing.T, cfg, host string) {
	t.Helper()
	state := filepath.Join(filepath.Dir(cfg), "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	file := `{"version": 1, "hosts": [{"host": "` + host + `", "since": "2026-01-01T00:00:00Z", "by": "admin"}], "events": []}`
	if err := os.WriteFile(filepath.Join(state, "maintenance.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
}

// movesOutOf reports each move of plan to host, in maintenance, and
// returns how many move out of it.
func movesOutOf(t *testing.T, plan *balancer.Plan, host string) int {
	t.Helper()
	away := 0
	for _, m := range plan.Moves {
		if m.To == host {
			t.Errorf("%s moves to %s, in maintenance", m.VMName, host)
		}
		if m.From == host {
			away++
		}
	}
	return away
}

// journalMoveBack journals in j, as the executor does, the move of m's VM
// back from m's destination to its source, ended a minute before the
// plan was created: within a cooldown of an hour.
func journalMoveBack(t *testing.T, j journal.Store, plan *balancer.Plan, m balancer.Move) {
	t.Helper()
	ended := plan.Created.Add(-time.Minute)
	e := journal.Entry{MoveID: "earlier/1", PlanID: "earlier", VMID: m.VM, VMName: m.VMName, From: m.To, To: m.From, Intent: ended.Add(-time.Minute)}
	if _, _, err := j.Intend(e); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(e.MoveID, journal.StateStarted, ended.Add(-30*time.Second), "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(e.MoveID, journal.StateSucceeded, ended, "", ""); err != nil {
		t.Fatal(err)
	}
}
