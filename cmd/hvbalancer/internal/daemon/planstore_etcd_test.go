package daemon

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/seal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestPlanStoreSharedOverEtcd proves the daemon's plan store over etcd, as
// two daemons share it: a plan one saves and signs, the other lists and
// verifies; both approving it at once, exactly one approval is recorded
// and the other is refused as a conflict; a plan one removes is gone for
// both.
func TestPlanStoreSharedOverEtcd(t *testing.T) {
	c := etcdtest.Start(t, 1)
	f := newSharedPlanFixture(t)
	daemons := []*planStore{
		newPlanStore(planstore.NewEtcd(c.Client(t), planstore.EtcdOptions{Prefix: "/site/"}), f.key, f.trusted, f.log),
		newPlanStore(planstore.NewEtcd(c.Client(t), planstore.EtcdOptions{Prefix: "/site/"}), f.key, f.trusted, f.log),
	}
	plan, rec := f.plan, f.rec
	if err := daemons[0].save(plan, &collector.Snapshot{}, rec); err != nil {
		t.Fatal(err)
	}
	rs := daemons[1].records()
	if len(rs) != 1 || rs[0].ID != plan.ID || rs[0].State != web.PlanPending {
		t.Fatalf("the other daemon lists %+v", rs)
	}
	if got, err := daemons[1].signedPlan(plan.ID); err != nil || got.ID != plan.ID {
		t.Fatalf("the other daemon reads the signed plan: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(daemons))
	for i, d := range daemons {
		wg.Go(func() {
			errs[i] = d.update(plan.ID, func(r *planRecord) error {
				if r.State != web.PlanPending {
					return errPlanConflict
				}
				r.State, r.Pending, r.ApprovedBy = web.PlanApproved, nil, []string{"alice", "bob"}[i]
				return nil
			})
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case err == nil:
			t.Errorf("both daemons approved the plan")
		case !errors.Is(err, errPlanConflict):
			t.Errorf("daemon %d: %v", i, err)
		}
	}
	for i, d := range daemons {
		rs := d.records()
		if won < 0 || len(rs) != 1 || rs[0].State != web.PlanApproved || rs[0].ApprovedBy != []string{"alice", "bob"}[won] {
			t.Errorf("daemon %d reads %+v, want approved once by the winner", i, rs)
		}
	}
	if n := daemons[0].count(web.PlanApproved); n != 1 {
		t.Errorf("%d approved", n)
	}
	if err := daemons[1].remove(plan.ID); err != nil {
		t.Fatal(err)
	}
	if rs := daemons[0].records(); len(rs) != 0 {
		t.Errorf("after removal the first daemon lists %+v", rs)
	}
	if _, err := daemons[0].plan(plan.ID); !errors.Is(err, errPlanNotFound) {
		t.Errorf("removed plan: %v, want not found", err)
	}
}

// sharedPlanFixture is a signing key and a pending plan of one move, to
// store.
type sharedPlanFixture struct {
	key     *seal.Key
	trusted []seal.PublicKey
	log     *slog.Logger
	plan    *balancer.Plan
	rec     planRecord
}

func newSharedPlanFixture(t *testing.T) sharedPlanFixture {
	t.Helper()
	key, err := seal.LoadOrCreate(filepath.Join(t.TempDir(), "plan-signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	plan := &balancer.Plan{Schema: balancer.PlanSchema, ID: "plan-20260105-080000-00000001", Created: now, Expires: now.Add(time.Hour),
		Moves: []balancer.Move{{VM: "vm-1", VMName: "web01", From: "HV01", To: "HV02"}}}
	plan.Checksum = plan.Digest()
	return sharedPlanFixture{
		key: key, trusted: []seal.PublicKey{key.Public()}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), plan: plan,
		rec: planRecord{ID: plan.ID, State: web.PlanPending, Created: now, Expires: plan.Expires, Moves: 1, Pending: []int{0}},
	}
}
