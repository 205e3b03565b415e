package daemon

import (
	"net/http/httptest"
	"testing"
)

// TestMutationsForwarded lists which requests a standby hands to the
// leader: the ones that change what the leader does, not the reads, not a
// reload (each daemon reloads its own files), not a placement question.
func TestMutationsForwarded(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/api/v1/pause", true},
		{"POST", "/api/v1/resume", true},
		{"POST", "/api/v1/plans/plan-20261201-080000-1a2b3c4d/approve", true},
		{"POST", "/api/v1/hosts/HV01/maintenance", true},
		{"DELETE", "/api/v1/hosts/HV01/maintenance", true},
		{"GET", "/api/v1/status", false},
		{"GET", "/api/v1/plans/p/approve", false},
		{"POST", "/-/reload", false},
		{"POST", "/api/v1/place", false},
		{"GET", "/metrics", false},
	} {
		if got := mutation(httptest.NewRequest(tc.method, tc.path, nil)); got != tc.want {
			t.Errorf("%s %s: forwarded %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}
