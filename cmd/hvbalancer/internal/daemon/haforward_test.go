package daemon

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// TestForwarded lists which requests a standby hands to the leader: the
// ones that change what the leader does and the reads of the fleet it
// polls, not a reload (each daemon reloads its own files), not the reads
// a standby serves from the shared stores.
func TestForwarded(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/api/v1/pause", true},
		{"POST", "/api/v1/resume", true},
		{"POST", "/api/v1/plans/plan-20261201-080000-1a2b3c4d/approve", true},
		{"POST", "/api/v1/hosts/HV01/maintenance", true},
		{"DELETE", "/api/v1/hosts/HV01/maintenance", true},
		{"GET", "/api/v1/hosts", true},
		{"POST", "/api/v1/place", true},
		{"GET", "/api/v1/status", false},
		{"GET", "/api/v1/plans", false},
		{"GET", "/api/v1/history", false},
		{"GET", "/api/v1/plans/p/approve", false},
		{"POST", "/-/reload", false},
		{"GET", "/metrics", false},
		{"GET", "/", false},
	} {
		if got := forwarded(httptest.NewRequest(tc.method, tc.path, nil)); got != tc.want {
			t.Errorf("%s %s: forwarded %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}

// TestForwardTransportTrustsOwnChain: a standby serving HTTPS with a
// certificate reaches a leader that serves the same one (or one its chain's
// CA issued), which the system's roots do not know.
func TestForwardTransportTrustsOwnChain(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "hvb.crt"), filepath.Join(dir, "hvb.key")
	writeCert(t, certFile, keyFile, 1)
	leader := serveWeb(t, config.HTTP{TLSCertFile: certFile, TLSKeyFile: keyFile}, longLimits())
	for _, tc := range []struct {
		name string
		hc   config.HTTP
		ok   bool
	}{
		{"own certificate trusted", config.HTTP{TLSCertFile: certFile, TLSKeyFile: keyFile}, true},
		{"plain standby: system roots only", config.HTTP{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := forwardTransport(tc.hc, slog.New(slog.DiscardHandler))
			tr.DisableKeepAlives = true
			resp, err := (&http.Client{Timeout: patient, Transport: tr}).Get("https://" + leader + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			if (err == nil) != tc.ok {
				t.Errorf("GET /healthz of the leader: %v, want success %v", err, tc.ok)
			}
		})
	}
}
