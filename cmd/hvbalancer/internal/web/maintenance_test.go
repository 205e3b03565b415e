package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// TestMaintenanceRoutes: entering and leaving maintenance through the API
// needs the token, names a host by a computer name, bounds its texts, and
// maps the backend's answers (unknown host 404, maintenance the API cannot
// end 409) to their statuses.
func TestMaintenanceRoutes(t *testing.T) {
	path := func(h string) string { return "/api/v1/hosts/" + h + "/maintenance" }
	tests := []struct {
		name, method, path, body string
		auth                     bool
		code                     int
		wantErr, wantIn          string
		wantCalls                []call
	}{
		{name: "enter", method: http.MethodPost, path: path("hv01"), auth: true, body: `{"by": "alice", "reason": "firmware"}`,
			code: 200, wantIn: `"changed": true`, wantCalls: []call{{"enter-maintenance", "hv01", "alice: firmware"}}},
		{name: "enter without body", method: http.MethodPost, path: path("HV01"), auth: true,
			code: 200, wantIn: `"host": "hv01"`, wantCalls: []call{{"enter-maintenance", "HV01", "api: maintenance through the API"}}},
		{name: "enter without token", method: http.MethodPost, path: path("hv01"), code: 401, wantErr: "bearer token required"},
		{name: "exit without token", method: http.MethodDelete, path: path("hv01"), code: 401, wantErr: "bearer token required"},
		{name: "enter unknown host", method: http.MethodPost, path: path("hv09"), auth: true,
			code: 404, wantErr: "host hv09: not found", wantCalls: []call{{"enter-maintenance", "hv09", "api: maintenance through the API"}}},
		{name: "exit unknown host", method: http.MethodDelete, path: path("hv09"), auth: true,
			code: 404, wantErr: "host hv09: not found", wantCalls: []call{{"exit-maintenance", "hv09", "api: "}}},
		{name: "exit configured maintenance", method: http.MethodDelete, path: path("hv02"), auth: true,
			code: 409, wantErr: "host hv02 is in maintenance by its configuration: conflict", wantCalls: []call{{"exit-maintenance", "hv02", "api: "}}},
		{name: "exit not in maintenance", method: http.MethodDelete, path: path("hv01"), auth: true,
			code: 200, wantIn: `"changed": false`, wantCalls: []call{{"exit-maintenance", "hv01", "api: "}}},
		{name: "name too long", method: http.MethodPost, path: path(strings.Repeat("h", 16)), auth: true,
			code: 400, wantErr: "bad host name: a computer name has 1 to 15 letters, digits and hyphens"},
		{name: "name with a dot", method: http.MethodPost, path: path("hv01.lab"), auth: true,
			code: 400, wantErr: "bad host name: a computer name has 1 to 15 letters, digits and hyphens"},
		{name: "name escaping the path", method: http.MethodDelete, path: path("..%2Fx"), auth: true,
			code: 400, wantErr: "bad host name: a computer name has 1 to 15 letters, digits and hyphens"},
		{name: "name with markup", method: http.MethodPost, path: path("%3Cb%3E"), auth: true,
			code: 400, wantErr: "bad host name: a computer name has 1 to 15 letters, digits and hyphens"},
		{name: "reason too long", method: http.MethodPost, path: path("hv01"), auth: true,
			body: fmt.Sprintf(`{"reason": %q}`, strings.Repeat("r", 1025)), code: 400, wantErr: "bad request body: reason longer than 1024 bytes"},
		{name: "control character in by", method: http.MethodPost, path: path("hv01"), auth: true,
			body: `{"by": "a\u0007"}`, code: 400, wantErr: "bad request body: by holds a control character"},
		{name: "unknown field", method: http.MethodPost, path: path("hv01"), auth: true,
			body: `{"enabled": true}`, code: 400, wantErr: `bad request body: json: unknown field "enabled"`},
		{name: "get is not a route", method: http.MethodGet, path: path("hv01"), code: 405, wantErr: "method not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var hdr []string
			if tc.auth {
				hdr = authed()
			}
			r := e.do(t, tc.method, tc.path, tc.body, hdr...)
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.body)
			}
			if tc.code >= 400 {
				if got := errorOf(t, r); got != tc.wantErr {
					t.Errorf("error %q, want %q", got, tc.wantErr)
				}
			} else if !strings.Contains(r.body, tc.wantIn) {
				t.Errorf("body does not contain %q:\n%s", tc.wantIn, r.body)
			}
			if diff := cmp.Diff(tc.wantCalls, e.fake.calledWith()); diff != "" {
				t.Errorf("backend calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMaintenanceShowsInHosts: a host entered through the API shows in
// GET /api/v1/hosts with its source, who and why, and on the status page;
// entering twice changes nothing; leaving takes it away again.
func TestMaintenanceShowsInHosts(t *testing.T) {
	e := newEnv(t)
	enter := func() web.MaintenanceChange {
		t.Helper()
		var out web.MaintenanceChange
		r := e.do(t, http.MethodPost, "/api/v1/hosts/hv01/maintenance", `{"by": "alice", "reason": "BIOS <update>"}`, authed()...)
		decode(t, r, &out)
		return out
	}
	if first := enter(); !first.Changed || !first.Maintenance {
		t.Fatalf("first enter: %+v", first)
	}
	if again := enter(); again.Changed {
		t.Errorf("second enter changed something: %+v", again)
	}
	var hosts web.Hosts
	decode(t, e.do(t, http.MethodGet, "/api/v1/hosts", ""), &hosts)
	want := []web.MaintenanceState{{Source: web.MaintenanceAPI, Since: t0, By: "alice", Reason: "BIOS <update>"}}
	if diff := cmp.Diff(want, hosts.Hosts[0].MaintenanceSources); diff != "" || !hosts.Hosts[0].Maintenance {
		t.Errorf("hv01 maintenance %v (-want +got):\n%s", hosts.Hosts[0].Maintenance, diff)
	}
	page := e.do(t, http.MethodGet, "/", "").body
	if !strings.Contains(page, "entered by alice 2026-01-05 08:00:00 UTC: BIOS &lt;update&gt;") || !strings.Contains(page, "draining: 2 VMs left") {
		t.Errorf("status page does not show hv01's maintenance:\n%s", page)
	}
	if !strings.Contains(e.logs.String(), "host maintenance entered") {
		t.Errorf("entering not logged: %s", e.logs)
	}
	var out web.MaintenanceChange
	decode(t, e.do(t, http.MethodDelete, "/api/v1/hosts/hv01/maintenance", "", authed()...), &out)
	if !out.Changed || out.Maintenance {
		t.Errorf("exit: %+v", out)
	}
	var after web.Hosts
	decode(t, e.do(t, http.MethodGet, "/api/v1/hosts", ""), &after)
	if h := after.Hosts[0]; h.Maintenance || len(h.MaintenanceSources) > 0 {
		t.Errorf("hv01 still in maintenance after exit: %+v", h)
	}
}
