package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/seal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestPruneKeepsWhatRetentionSays: ended plans go once older than the
// cutoff or beyond the newest ones kept; plans waiting or running stay
// whatever their age; the store, read again, agrees.
func TestPruneKeepsWhatRetentionSays(t *testing.T) {
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := openPlanStore(filepath.Join(dir, "plans"), key, []seal.PublicKey{key.Public()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	states := []web.PlanState{
		web.PlanDone, web.PlanPending, web.PlanSuperseded, web.PlanExecuting, web.PlanFailed,
		web.PlanExpired, web.PlanApproved, web.PlanPartlyDone, web.PlanRefused, web.PlanDone,
	}
	for i, st := range states { // p0 the oldest, a day apart
		created := t0.Add(time.Duration(i) * 24 * time.Hour)
		p := &balancer.Plan{Schema: balancer.PlanSchema, ID: fmt.Sprintf("p%d", i), Created: created, Expires: created.Add(time.Hour)}
		rec := planRecord{ID: p.ID, State: st, Created: created, Expires: p.Expires}
		if st.Final() && i%2 == 0 {
			rec.Ended = created.Add(time.Hour)
		}
		if err := s.save(p, &collector.Snapshot{Taken: created}, rec); err != nil {
			t.Fatal(err)
		}
	}
	// Keep the 3 newest ended plans (p9, p8, p7) and none that ended
	// before day 4: p0, p2, p4, p5 go by count, and by age too.
	n, err := s.prune(t0.Add(4*24*time.Hour), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"p1", "p3", "p6", "p7", "p8", "p9"}
	got := func(s *planStore) []string {
		var ids []string
		for _, r := range s.records() {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		return ids
	}
	if ids := got(s); n != 4 || !slices.Equal(ids, want) {
		t.Errorf("removed %d, kept %v; want 4 removed, kept %v", n, ids, want)
	}
	for _, id := range []string{"p0", "p2", "p4", "p5"} {
		if _, err := os.Stat(filepath.Join(dir, "plans", id)); !os.IsNotExist(err) {
			t.Errorf("plan %s's directory is still there: %v", id, err)
		}
	}
	again, err := openPlanStore(filepath.Join(dir, "plans"), key, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if ids := got(again); !slices.Equal(ids, want) {
		t.Errorf("the store read again holds %v, want %v", ids, want)
	}
	// By age alone: everything ended before day 8 goes, waiting plans stay.
	if n, err := s.prune(t0.Add(8*24*time.Hour), 100); err != nil || n != 1 {
		t.Errorf("prune by age removed %d (%v), want 1 (p7)", n, err)
	}
}
