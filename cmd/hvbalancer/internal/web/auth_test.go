package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mutating are the endpoints that need the token.
var mutating = []struct{ name, path, body string }{
	{"approve", "/api/v1/plans/" + planID + "/approve", `{"by": "alice"}`},
	{"pause", "/api/v1/pause", `{"reason": "patching"}`},
	{"resume", "/api/v1/resume", ""},
	{"reload", "/-/reload", ""},
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name      string
		header    []string
		code      int
		challenge string // WWW-Authenticate
	}{
		{"no header", nil, 401, `Bearer realm="hvbalancer"`},
		{"empty bearer", []string{"Authorization", "Bearer "}, 401, `Bearer realm="hvbalancer"`},
		{"basic", []string{"Authorization", "Basic YWRtaW46" + token}, 401, `Bearer realm="hvbalancer"`},
		{"token without scheme", []string{"Authorization", token}, 401, `Bearer realm="hvbalancer"`},
		{"wrong token", []string{"Authorization", "Bearer nope"}, 401, `Bearer realm="hvbalancer", error="invalid_token"`},
		{"token prefix", []string{"Authorization", "Bearer " + token[:len(token)-1]}, 401, `Bearer realm="hvbalancer", error="invalid_token"`},
		{"token with more", []string{"Authorization", "Bearer " + token + "x"}, 401, `Bearer realm="hvbalancer", error="invalid_token"`},
		{"right token", authed(), 200, ""},
		{"scheme in lower case", []string{"Authorization", "bearer " + token}, 200, ""},
	}
	for _, ep := range mutating {
		for _, tc := range tests {
			t.Run(ep.name+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t)
				r := e.do(t, http.MethodPost, ep.path, ep.body, tc.header...)
				if r.code != tc.code {
					t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.body)
				}
				if got := r.header.Get("WWW-Authenticate"); got != tc.challenge {
					t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
				}
				calls := len(e.fake.calledWith())
				if tc.code == 200 && calls != 1 || tc.code != 200 && calls != 0 {
					t.Errorf("%d backend calls for a %d", calls, tc.code)
				}
				if tc.code != 200 {
					errorOf(t, r)
				}
				if strings.Contains(r.body, token) || strings.Contains(e.logs.String(), token) {
					t.Errorf("token echoed: body %q, logs %q", r.body, e.logs)
				}
			})
		}
	}
}

func TestTokenRotation(t *testing.T) {
	e := newEnv(t)
	pause := func(tok string) int {
		return e.do(t, http.MethodPost, "/api/v1/pause", "", "Authorization", "Bearer "+tok).code
	}
	var got []int
	got = append(got, pause(token))
	e.writeToken(t, "  rotated-token\r\n")
	got = append(got, pause(token), pause("rotated-token"))
	if err := os.Rename(e.tokenPath, e.tokenPath+".old"); err != nil {
		t.Fatal(err)
	}
	got = append(got, pause("rotated-token"))
	e.writeToken(t, token)
	got = append(got, pause("rotated-token"), pause(token))
	if diff := cmp.Diff([]int{200, 401, 200, 503, 401, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestNoToken(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n\t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tooLong := filepath.Join(dir, "long")
	if err := os.WriteFile(tooLong, []byte(strings.Repeat("x", 5000)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, want string
	}{
		{"no token file configured", "", "no token configured"},
		{"missing file", filepath.Join(dir, "missing"), "no token configured"},
		{"empty file", empty, "no token configured"},
		{"a directory", dir, "token unavailable"},
		{"too long", tooLong, "token unavailable"},
	}
	for _, tc := range tests {
		for _, ep := range mutating {
			t.Run(tc.name+"/"+ep.name, func(t *testing.T) {
				e := newEnv(t, withTokenFile(tc.file))
				for _, h := range [][]string{nil, authed(), {"Authorization", "Bearer "}} {
					r := e.do(t, http.MethodPost, ep.path, ep.body, h...)
					if r.code != http.StatusServiceUnavailable {
						t.Fatalf("status %d, want 503: %s", r.code, r.body)
					}
					if got := errorOf(t, r); got != tc.want {
						t.Errorf("error %q, want %q", got, tc.want)
					}
				}
				if calls := e.fake.calledWith(); len(calls) != 0 {
					t.Errorf("backend called: %v", calls)
				}
			})
		}
	}
}
