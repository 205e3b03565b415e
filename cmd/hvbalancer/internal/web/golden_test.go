package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// everyMoveState adds to the fixture's history a move in each state the
// journal has besides succeeded and failed, and one reconciled after a
// lost connection, so that the history golden file holds every field.
func everyMoveState(f *fakeBackend) {
	base := journal.Entry{PlanID: "plan-20260105-080000-1a2b3c4d", VMID: "a3", VMName: "db01", From: "hv02", To: "hv01",
		Trigger: "balance", Bytes: 32 << 30}
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	entry := func(n int, change func(*journal.Entry)) journal.Entry {
		e := base
		e.MoveID = fmt.Sprintf("%s/%d", base.PlanID, n)
		e.Seq = uint64(10 + n)
		change(&e)
		return e
	}
	added := []journal.Entry{
		entry(5, func(e *journal.Entry) { e.State, e.Intent = journal.StateIntent, at(50_000) }),
		entry(4, func(e *journal.Entry) { e.State, e.Intent, e.Started = journal.StateStarted, at(40_000), at(41_000) }),
		entry(3, func(e *journal.Entry) {
			e.State, e.Intent, e.Started = journal.StateUnknown, at(30_000), at(31_000)
			e.Cause, e.Error = executor.CauseOutcomeUnknown, "wsman: EOF"
		}),
		entry(2, func(e *journal.Entry) {
			e.State, e.Intent, e.Ended = journal.StateSkipped, at(20_000), at(20_000)
			e.Trigger, e.Cause, e.Error = "request", executor.CauseCooldown, "db01 moved 2m0s ago, within the cooldown of 10m0s"
		}),
		entry(1, func(e *journal.Entry) {
			e.State, e.Intent, e.Started, e.Ended = journal.StateSucceeded, at(10_000), at(11_000), at(72_500)
			e.Reconciled = true
		}),
	}
	f.history = append(added, f.history...)
}

// troubled sets every optional field of the status: paused, not ready, a
// stopped credential and a failed round.
func troubled(f *fakeBackend) {
	f.status.Paused, f.status.PauseReason = true, "patching hv01"
	f.status.Ready, f.status.NotReady = false, "credential svc-hvbalancer@LAB.EXAMPLE stopped after 3 failed logins"
	f.status.HostsAnswering = 0
	f.status.StoppedCredentials = []web.StoppedCredential{{Credential: "svc-hvbalancer@LAB.EXAMPLE", Failures: 3, Since: t0,
		Hosts: []string{"hv01", "hv02"}, Message: "credential svc-hvbalancer@LAB.EXAMPLE stopped after 3 failed logins: fix its password, then it retries"}}
	f.status.LastRound = web.RoundOutcome{Time: t0, Duration: 0.5, Result: "failed", Error: "collect: every host unreachable"}
	f.status.InFlight, f.status.Queue = nil, 0
}

// TestJSONGolden pins the wire form of every JSON answer of GET /api/v1/
// and of the status page: any change to a field's name, presence or
// format shows here, through the real handler.
func TestJSONGolden(t *testing.T) {
	tests := []struct {
		name, path string
		change     func(*fakeBackend)
	}{
		{"status.golden.json", "/api/v1/status", nil},
		{"status-troubled.golden.json", "/api/v1/status", troubled},
		{"hosts.golden.json", "/api/v1/hosts", nil},
		{"plans.golden.json", "/api/v1/plans", nil},
		{"plan.golden.json", "/api/v1/plans/" + planID, nil},
		{"history.golden.json", "/api/v1/history", everyMoveState},
		{"status.golden.html", "/", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.change != nil {
				tc.change(e.fake)
			}
			r := e.do(t, http.MethodGet, tc.path, "")
			if r.code != http.StatusOK {
				t.Fatalf("status %d: %s", r.code, r.body)
			}
			golden(t, tc.name, []byte(r.body))
		})
	}
}
