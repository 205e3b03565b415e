package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// TestDaemonDoesNotPlanARefusedMoveAgain runs the daemon on a fleet where
// the host the planner prefers cannot reach the hot host's share, which
// only its Compare-VM can tell: each VM is refused there at most once (the
// journal has no second skipped move of the same VM into HV03), the next
// rounds send the VMs to the host that reaches the share instead, and a
// round ends with nothing left to move. Without the refusal memory the same move would be
// planned, and refused, every round.
func TestDaemonDoesNotPlanARefusedMoveAgain(t *testing.T) {
	dir := t.TempDir()
	fleet, _ := filepath.Abs("testdata/fleets/refusal.yaml")
	policies, _ := filepath.Abs("../../examples/policies")
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`version: 1
state_dir: state
simulator: {fleet: %s, speed: 300}
http: {listen: "127.0.0.1:0", token_file: token}
automation: full
round_interval: 300ms
collector: {interval: 200ms, window: 2s, stale_after: 5s}
policy: {dir: %s}
planner: {max_moves: 10, cooldown: 1h, refusal_memory: 6h}
executor: {max_concurrent: 4, migrations_per_minute: 600, burst: 10, drain_timeout: 30s}
`, fleet, policies)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, path)

	var hist web.History
	var toHV02 int
	// read reads the history and fails at once when Compare-VM refused a
	// VM into HV03 twice; it returns how many it refused there.
	read := func() int {
		getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
		skips := map[string]int{}
		toHV02 = 0
		for _, e := range hist.Entries {
			switch {
			case e.State == web.MoveSkipped && e.To == "HV03" && e.Cause == "storage_missing":
				if skips[e.VMName]++; skips[e.VMName] > 1 {
					t.Fatalf("%s was planned into HV03, and refused, %d times", e.VMName, skips[e.VMName])
				}
			case e.State == web.MoveSucceeded && e.From == "HV01" && e.To == "HV02":
				toHV02++
			}
		}
		return len(skips)
	}
	var st web.Status
	eventually(t, "a move Compare-VM refused, then a round that moves nothing", func() bool {
		if read() == 0 {
			return false
		}
		getJSON(t, d.url+"/api/v1/status", &st)
		return quietRound(st) && len(st.InFlight) == 0
	})
	if code := post(t, d.url+"/api/v1/pause", testToken, map[string]string{"reason": "test"}); code != http.StatusOK {
		t.Fatalf("pause: %d", code)
	}
	read()
	if toHV02 == 0 {
		t.Errorf("no VM moved to HV02, which reaches the share: %+v", hist.Entries)
	}
	var l ledger
	getJSON(t, d.admin+"ledger", &l)
	for _, e := range l.Entries {
		if e.Destination == "HV03" {
			t.Errorf("Move-VM of %s into HV03 was sent after all", e.VMName)
		}
	}
}
