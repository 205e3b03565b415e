package web_test

import (
	"net/http"
	"testing"
)

func TestJSONGolden(t *testing.T) {
	tests := []struct{ name, path string }{
		{"status.golden.json", "/api/v1/status"},
		{"hosts.golden.json", "/api/v1/hosts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.do(t, http.MethodGet, tc.path, "")
			if r.code != http.StatusOK {
				t.Fatalf("status %d: %s", r.code, r.body)
			}
			golden(t, tc.name, []byte(r.body))
		})
	}
}
