package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestHostsSayWhichLoadsAreProjected: GET /api/v1/hosts says, for each
// host, whether its load is measured or projected from the VMs it now
// holds after recent moves, and until when.
func TestHostsSayWhichLoadsAreProjected(t *testing.T) {
	until := time.Date(2026, 1, 5, 8, 4, 30, 0, time.FixedZone("CET", 3600))
	got, body := hostsAfter(t, func(hosts []collector.Host) {
		hosts[0].LoadModel, hosts[0].ProjectedUntil = collector.LoadProjected, until
	})
	for i, hi := range got.Hosts {
		want, wantUntil := web.LoadMeasured, time.Time{}
		if i == 0 {
			want, wantUntil = web.LoadProjected, until.UTC()
		}
		if hi.LoadModel != want || !hi.ProjectedUntil.Equal(wantUntil) {
			t.Errorf("%s: load model %q until %s, want %q until %s", hi.Name, hi.LoadModel, hi.ProjectedUntil, want, wantUntil)
		}
	}
	if !strings.Contains(body, `"load_model": "projected",`+"\n"+`      "projected_until": "2026-01-05T07:04:30Z"`) {
		t.Errorf("the answer does not say the first host is projected until 07:04:30 UTC:\n%s", body)
	}
	if strings.Count(body, `"projected_until"`) != 1 {
		t.Errorf("projected_until on a measured host:\n%s", body)
	}
}

// hostsAfter lets change set the fixture's hosts (two or more) and
// returns GET /api/v1/hosts's answer, decoded and as sent.
func hostsAfter(t *testing.T, change func(hosts []collector.Host)) (web.Hosts, string) {
	t.Helper()
	e := newEnv(t)
	if len(e.fake.snap.Hosts) < 2 {
		t.Fatalf("the fixture has %d hosts, want 2 or more", len(e.fake.snap.Hosts))
	}
	change(e.fake.snap.Hosts)
	r := e.do(t, http.MethodGet, "/api/v1/hosts", "")
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	var got web.Hosts
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	return got, r.body
}
