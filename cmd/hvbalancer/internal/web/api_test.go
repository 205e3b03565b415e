package web_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

const planID = "plan-20260105-080000-1a2b3c4d"

// getRoutes are every GET route with what it answers.
var getRoutes = []struct {
	name, path string
	code       int
	ctype      string
	contains   string
}{
	{"healthz", "/healthz", 200, "text/plain; charset=utf-8", "ok"},
	{"readyz", "/readyz", 200, "text/plain; charset=utf-8", "ok"},
	{"status page", "/", 200, "text/html; charset=utf-8", "<h1>hvbalancer</h1>"},
	{"metrics", "/metrics", 200, "text/plain; version=0.0.4", ""},
	{"status", "/api/v1/status", 200, "application/json", `"mode": "manual"`},
	{"hosts", "/api/v1/hosts", 200, "application/json", `"name": "hv01"`},
	{"plans", "/api/v1/plans", 200, "application/json", planID},
	{"plan", "/api/v1/plans/" + planID, 200, "application/json", `"schema": "hvbalancer.plan/v1"`},
	{"plan markdown", "/api/v1/plans/" + planID + "/report.md", 200, "text/markdown; charset=utf-8", "# "},
	{"plan html", "/api/v1/plans/" + planID + "/report.html", 200, "text/html; charset=utf-8", "<!DOCTYPE html>"},
	{"history", "/api/v1/history", 200, "application/json", `"entries"`},
	{"history limit", "/api/v1/history?limit=1", 200, "application/json", `"entries"`},
	{"unknown plan", "/api/v1/plans/plan-nope", 404, "application/json", "plan plan-nope: not found"},
	{"unknown plan markdown", "/api/v1/plans/plan-nope/report.md", 404, "application/json", "not found"},
	{"unknown plan html", "/api/v1/plans/plan-nope/report.html", 404, "application/json", "not found"},
	{"plan id with a path", "/api/v1/plans/..%2F..%2Fetc%2Fpasswd", 400, "application/json", "bad plan id"},
	{"plan id dot dot", "/api/v1/plans/a..b/report.md", 400, "application/json", "bad plan id"},
	{"history limit zero", "/api/v1/history?limit=0", 400, "application/json", "limit"},
	{"history limit word", "/api/v1/history?limit=all", 400, "application/json", "limit"},
	{"unknown api path", "/api/v1/nothing", 404, "application/json", "not found"},
	{"unknown page", "/nothing", 404, "text/plain; charset=utf-8", "404 page not found"},
}

func TestGetRoutes(t *testing.T) {
	e := newEnv(t)
	for _, tc := range getRoutes {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, http.MethodGet, tc.path, "")
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.body)
			}
			if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, tc.ctype) {
				t.Errorf("content type %q, want %q", got, tc.ctype)
			}
			if !strings.Contains(r.body, tc.contains) {
				t.Errorf("body does not contain %q:\n%s", tc.contains, r.body)
			}
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if tc.code >= 400 && strings.HasPrefix(tc.path, "/api/") {
				errorOf(t, r)
			}
		})
	}
}

func TestHead(t *testing.T) {
	e := newEnv(t)
	for _, tc := range getRoutes {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, http.MethodHead, tc.path, "")
			if r.code != tc.code {
				t.Fatalf("status %d, want %d", r.code, tc.code)
			}
			if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, tc.ctype) {
				t.Errorf("content type %q, want %q", got, tc.ctype)
			}
			if r.body != "" {
				t.Errorf("HEAD has a body: %q", r.body)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, allow string
		json                      bool
	}{
		{"post status", http.MethodPost, "/api/v1/status", "GET, HEAD", true},
		{"delete plan", http.MethodDelete, "/api/v1/plans/" + planID, "GET, HEAD", true},
		{"get approve", http.MethodGet, "/api/v1/plans/" + planID + "/approve", "POST", true},
		{"get pause", http.MethodGet, "/api/v1/pause", "POST", true},
		{"get reload", http.MethodGet, "/-/reload", "POST", true},
		{"post healthz", http.MethodPost, "/healthz", "GET, HEAD", false},
		{"put page", http.MethodPut, "/", "GET, HEAD", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, "")
			if r.code != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405: %s", r.code, r.body)
			}
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if tc.json {
				if got := errorOf(t, r); got != "method not allowed" {
					t.Errorf("error %q", got)
				}
			}
		})
	}
	if calls := e.fake.calledWith(); len(calls) != 0 {
		t.Errorf("backend called: %v", calls)
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name     string
		status   web.Status
		code     int
		wantBody string
	}{
		{"ready", web.Status{Ready: true}, 200, "ok\n"},
		{"not ready with a reason", web.Status{NotReady: "reconciling the journal"}, 503, "reconciling the journal\n"},
		{"not ready", web.Status{}, 503, "not ready\n"},
		{"reason on one line", web.Status{NotReady: "no snapshot\nyet"}, 503, "no snapshot yet\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.status = tc.status
			r := e.do(t, http.MethodGet, "/readyz", "")
			if r.code != tc.code || r.body != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", r.code, r.body, tc.code, tc.wantBody)
			}
			if h := e.do(t, http.MethodGet, "/healthz", ""); h.code != 200 || h.body != "ok\n" {
				t.Errorf("healthz %d %q while not ready", h.code, h.body)
			}
		})
	}
}

func TestPlansAndHistoryShapes(t *testing.T) {
	e := newEnv(t)
	var plans web.Plans
	decode(t, e.do(t, http.MethodGet, "/api/v1/plans", ""), &plans)
	if diff := cmp.Diff(web.Plans{Plans: e.fake.plans}, plans); diff != "" {
		t.Errorf("plans (-want +got):\n%s", diff)
	}

	var h web.History
	decode(t, e.do(t, http.MethodGet, "/api/v1/history", ""), &h)
	want := web.History{}
	for _, je := range e.fake.history {
		want.Entries = append(want.Entries, web.HistoryEntryOf(je))
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}

	r := e.do(t, http.MethodGet, "/api/v1/plans/"+planID, "")
	p, err := balancer.ReadPlan(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("plan JSON does not read back: %v", err)
	}
	if diff := cmp.Diff(e.fake.plan[planID].Digest(), p.Digest()); diff != "" {
		t.Errorf("plan digest (-want +got):\n%s", diff)
	}
}

func TestHistoryLimit(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  int // limit asked of the backend
		got   int // entries answered
	}{
		{"default", "", 100, 2},
		{"one", "?limit=1", 1, 1},
		{"max", "?limit=1000", 1000, 2},
		{"above max", "?limit=5000", 1000, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var h web.History
			decode(t, e.do(t, http.MethodGet, "/api/v1/history"+tc.query, ""), &h)
			if len(h.Entries) != tc.got {
				t.Errorf("%d entries, want %d", len(h.Entries), tc.got)
			}
			if diff := cmp.Diff([]int{tc.want}, e.fake.limits); diff != "" {
				t.Errorf("limits asked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmptyBackend(t *testing.T) {
	e := newEnv(t)
	e.fake.snap, e.fake.plans, e.fake.history, e.fake.status.InFlight = nil, nil, []journal.Entry{}, nil
	tests := []struct{ path, want string }{
		{"/api/v1/hosts", "{\n  \"hosts\": []\n}\n"},
		{"/api/v1/plans", "{\n  \"plans\": []\n}\n"},
		{"/api/v1/history", "{\n  \"entries\": []\n}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.do(t, http.MethodGet, tc.path, "")
			if diff := cmp.Diff(tc.want, r.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	if r := e.do(t, http.MethodGet, "/api/v1/status", ""); !strings.Contains(r.body, `"in_flight": []`) {
		t.Errorf("status without migrations: %s", r.body)
	}
}

func TestPlanBackendError(t *testing.T) {
	e := newEnv(t)
	e.fake.setErr("plan", errors.New("open /var/lib/hvbalancer/plans/x.json: permission denied"))
	r := e.do(t, http.MethodGet, "/api/v1/plans/"+planID, "")
	if r.code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", r.code)
	}
	if got, want := errorOf(t, r), "get plan: internal error (see the daemon log)"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if !strings.Contains(e.logs.String(), "permission denied") {
		t.Errorf("error not logged: %s", e.logs)
	}
}
