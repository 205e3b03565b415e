package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// TestHTTPAnswersWhileTheJournalIsReconciled starts the daemon with a
// journal that holds a migration whose outcome is not known, into HV04,
// a host that never answers: locating the VM waits HV04's read deadline.
// Meanwhile /healthz answers at once, /readyz says "reconciling", and no
// round runs; once the VM is found back on its source, rounds begin.
func TestHTTPAnswersWhileTheJournalIsReconciled(t *testing.T) {
	read := min(max(time.Until(patience(t))/8, 15*time.Second), time.Minute).Round(time.Second)
	srv, spec := servedMixedFleet(t)
	cfgPath := mixedConfig(t, srv, spec, read)
	vms := srv.Fleet().VMs("HV01")
	if len(vms) == 0 {
		t.Fatal("HV01 runs no VM")
	}
	vm := vms[0]
	state := filepath.Join(filepath.Dir(cfgPath), "state")
	if err := os.MkdirAll(state, 0o750); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(state, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := srv.Fleet().Clock().Now()
	e := journal.Entry{MoveID: "plan-crashed#0", PlanID: "plan-crashed", VMID: vm.ID, VMName: vm.Name, From: "HV01", To: "HV04", Intent: now}
	if _, _, err := j.Intend(e); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(e.MoveID, journal.StateStarted, now, "", ""); err != nil {
		t.Fatal(err)
	}
	j.Close()

	d, _ := startLoggingDaemon(t, cfgPath)
	if code, body := get(t, d.url+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while reconciling: %d %q", code, body)
	}
	code, body := get(t, d.url+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "reconciling") {
		t.Fatalf("/readyz at start-up: %d %q, want 503 saying reconciling", code, body)
	}
	var st web.Status
	eventually(t, "the journal reconciled", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		_, body := get(t, d.url+"/readyz")
		reconciling := strings.Contains(body, "reconciling")
		if reconciling && (!st.LastRound.Time.IsZero() || st.RoundRunning != nil) {
			t.Fatalf("a round ran while the journal was reconciled: %+v %+v", st.LastRound, st.RoundRunning)
		}
		return !reconciling
	})
	eventually(t, "a round after reconciliation", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return !st.LastRound.Time.IsZero()
	})
	var hist web.History
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	for _, h := range hist.Entries {
		if h.MoveID == e.MoveID && (h.State != web.MoveFailed || h.From != "HV01") {
			t.Errorf("the interrupted move ended %s (%s: %s), want failed: the VM is back on HV01", h.State, h.Cause, h.Error)
		}
	}
}
