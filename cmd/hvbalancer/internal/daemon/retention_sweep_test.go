package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/seal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestPruneSweepsPlansWithoutRecord: the daemon's hourly prune removes
// the directory a Save cut short left (its files, no record) once older
// than the grace, and keeps a newer one and every plan with a record.
func TestPruneSweepsPlansWithoutRecord(t *testing.T) {
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	plans := filepath.Join(dir, "plans")
	s, err := openPlanStore(plans, key, []seal.PublicKey{key.Public()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	now := time.Now()
	p := &balancer.Plan{Schema: balancer.PlanSchema, ID: "plan-kept", Created: now, Expires: now.Add(time.Hour)}
	if err := s.save(p, &collector.Snapshot{Taken: now}, planRecord{ID: p.ID, State: web.PlanPending, Created: now, Expires: p.Expires}); err != nil {
		t.Fatal(err)
	}
	cutShort := func(id string, age time.Duration) {
		d := filepath.Join(plans, id)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"plan.json", "snapshot.json"} {
			if err := os.WriteFile(filepath.Join(d, name), []byte(fmt.Sprintf("{%q: 1}", name)), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(filepath.Join(d, name), now.Add(-age), now.Add(-age)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(d, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	cutShort("plan-old", sweepGrace+time.Minute)
	cutShort("plan-new", sweepGrace-time.Minute)
	cfg := config.Default()
	d := &Daemon{cfg: &cfg, plans: s, journal: j, log: slog.New(slog.DiscardHandler)}
	d.prune(now)
	for id, want := range map[string]bool{"plan-old": false, "plan-new": true, "plan-kept": true} {
		_, err := os.Stat(filepath.Join(plans, id))
		if got := err == nil; got != want {
			t.Errorf("%s's directory there after the prune: %v, want %v (%v)", id, got, want, err)
		}
	}
	if _, err := s.signedPlan("plan-kept"); err != nil {
		t.Errorf("the plan with a record: %v", err)
	}
}
