package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

func TestMutations(t *testing.T) {
	approve := "/api/v1/plans/" + planID + "/approve"
	tests := []struct {
		name      string
		path      string
		body      string
		backend   map[string]error
		code      int
		wantErr   string // the JSON error, for a failure
		wantIn    string // in the body, for a success
		wantCalls []call
	}{
		{name: "approve without body", path: approve, code: 200, wantIn: `"approved_by": "api"`,
			wantCalls: []call{{"approve", planID, "api"}}},
		{name: "approve by", path: approve, body: `{"by": "alice@example.com"}`, code: 200, wantIn: `"approved_by": "alice@example.com"`,
			wantCalls: []call{{"approve", planID, "alice@example.com"}}},
		{name: "approve with empty by", path: approve, body: `{"by": ""}`, code: 200,
			wantCalls: []call{{"approve", planID, "api"}}},
		{name: "approve null body", path: approve, body: `null`, code: 200,
			wantCalls: []call{{"approve", planID, "api"}}},
		{name: "approve unknown plan", path: "/api/v1/plans/plan-nope/approve", code: 404,
			wantErr: "approve plan plan-nope: not found", wantCalls: []call{{"approve", "plan-nope", "api"}}},
		{name: "approve expired plan", path: "/api/v1/plans/plan-20260105-070000-00000001/approve", code: 409,
			wantErr:   "approve plan plan-20260105-070000-00000001: it is expired: conflict",
			wantCalls: []call{{"approve", "plan-20260105-070000-00000001", "api"}}},
		{name: "approve refused plan", path: "/api/v1/plans/plan-20260105-050000-00000003/approve", code: 409,
			wantErr:   "approve plan plan-20260105-050000-00000003: it is refused: conflict",
			wantCalls: []call{{"approve", "plan-20260105-050000-00000003", "api"}}},
		{name: "approve bad id", path: "/api/v1/plans/..%2Fx/approve", code: 400, wantErr: "bad plan id"},
		{name: "approve bad json", path: approve, body: `{"by": `, code: 400, wantErr: "bad request body: unexpected EOF"},
		{name: "approve unknown field", path: approve, body: `{"user": "bob"}`, code: 400,
			wantErr: `bad request body: json: unknown field "user"`},
		{name: "approve not an object", path: approve, body: `["bob"]`, code: 400,
			wantErr: "bad request body: got array, want an object"},
		{name: "approve by a number", path: approve, body: `{"by": 7}`, code: 400,
			wantErr: "bad request body: by: got number, want string"},
		{name: "approve trailing data", path: approve, body: `{"by": "bob"} {}`, code: 400,
			wantErr: "bad request body: data after the JSON object"},
		{name: "approve control character", path: approve, body: `{"by": "bob\u001b[31m"}`, code: 400,
			wantErr: "bad request body: by holds a control character"},
		{name: "approve long by", path: approve, body: fmt.Sprintf(`{"by": %q}`, strings.Repeat("b", 129)), code: 400,
			wantErr: "bad request body: by longer than 128 bytes"},
		{name: "approve huge body", path: approve, body: `{"by": "` + strings.Repeat("x", 70<<10) + `"}`, code: 413,
			wantErr: "request body larger than 65536 bytes"},
		{name: "approve backend timeout", path: approve, backend: map[string]error{"approve": context.DeadlineExceeded}, code: 503,
			wantErr: "context deadline exceeded", wantCalls: []call{{"approve", planID, "api"}}},
		{name: "approve after the term ended", path: approve,
			backend: map[string]error{"approve": fmt.Errorf("approve plan %s: this daemon stopped leading: approve it through the next leader: %w", planID, web.ErrUnavailable)},
			code:    503, wantErr: "approve plan " + planID + ": this daemon stopped leading: approve it through the next leader: unavailable",
			wantCalls: []call{{"approve", planID, "api"}}},
		{name: "pause", path: "/api/v1/pause", body: `{"reason": "patch Tuesday <b>"}`, code: 200,
			wantIn: `"pause_reason": "patch Tuesday \u003cb\u003e"`, wantCalls: []call{{Op: "pause", Arg: "patch Tuesday <b>"}}},
		{name: "pause without reason", path: "/api/v1/pause", code: 200, wantIn: `"paused": true`,
			wantCalls: []call{{Op: "pause", Arg: "paused through the API"}}},
		{name: "pause newline in reason", path: "/api/v1/pause", body: `{"reason": "a\nb"}`, code: 400,
			wantErr: "bad request body: reason holds a control character"},
		{name: "pause already paused", path: "/api/v1/pause", backend: map[string]error{"pause": fmt.Errorf("pause: already paused: %w", web.ErrConflict)},
			code: 409, wantErr: "pause: already paused: conflict", wantCalls: []call{{Op: "pause", Arg: "paused through the API"}}},
		{name: "resume", path: "/api/v1/resume", code: 200, wantIn: `"paused": false`, wantCalls: []call{{Op: "resume"}}},
		{name: "resume with a body", path: "/api/v1/resume", body: `{"now": true}`, code: 400,
			wantErr: `bad request body: json: unknown field "now"`},
		{name: "resume fails", path: "/api/v1/resume", backend: map[string]error{"resume": errors.New("resume: journal closed")},
			code: 500, wantErr: "resume: journal closed", wantCalls: []call{{Op: "resume"}}},
		{name: "reload", path: "/-/reload", code: 200, wantIn: `"mode": "manual"`, wantCalls: []call{{Op: "reload"}}},
		{name: "reload bad config", path: "/-/reload",
			backend: map[string]error{"reload": fmt.Errorf("reload: config.yaml: hosts[0].address: required: %w", web.ErrInvalid)},
			code:    422, wantErr: "reload: config.yaml: hosts[0].address: required: invalid", wantCalls: []call{{Op: "reload"}}},
		{name: "reload fails", path: "/-/reload", backend: map[string]error{"reload": errors.New("reload: policy: disk gone")},
			code: 500, wantErr: "reload: policy: disk gone", wantCalls: []call{{Op: "reload"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for op, err := range tc.backend {
				e.fake.setErr(op, err)
			}
			r := e.do(t, http.MethodPost, tc.path, tc.body, authed()...)
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.body)
			}
			if tc.code >= 400 {
				if got := errorOf(t, r); got != tc.wantErr {
					t.Errorf("error %q, want %q", got, tc.wantErr)
				}
			} else {
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("content type %q", ct)
				}
				if !strings.Contains(r.body, tc.wantIn) {
					t.Errorf("body does not contain %q:\n%s", tc.wantIn, r.body)
				}
			}
			if diff := cmp.Diff(tc.wantCalls, e.fake.calledWith()); diff != "" {
				t.Errorf("backend calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApproveShowsInPlans(t *testing.T) {
	e := newEnv(t)
	if r := e.do(t, http.MethodPost, "/api/v1/plans/"+planID+"/approve", `{"by": "alice"}`, authed()...); r.code != 200 {
		t.Fatalf("approve: %d %s", r.code, r.body)
	}
	var got web.Plans
	decode(t, e.do(t, http.MethodGet, "/api/v1/plans", ""), &got)
	want := web.PlanInfo{ID: planID, Created: t0, Expires: t0.Add(60 * 60e9), Moves: 1, State: web.PlanApproved,
		Message: "1 move for balance", ApprovedBy: "alice", ApprovedAt: t0}
	if diff := cmp.Diff(want, got.Plans[0]); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if r := e.do(t, http.MethodPost, "/api/v1/plans/"+planID+"/approve", "", authed()...); r.code != http.StatusConflict {
		t.Errorf("second approval: %d %s", r.code, r.body)
	}
	if !strings.Contains(e.logs.String(), "plan_id="+planID) {
		t.Errorf("approval not logged with its plan_id: %s", e.logs)
	}
}
