package daemon

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// termEndingStore is a plan store whose updates end with the writer's
// term, as the etcd store's do when its daemon is cut off: after etcd
// applied the write (its answer lost) or before.
type termEndingStore struct {
	planstore.Store
	applied bool
}

func (s termEndingStore) Update(id string, version int64, record []byte) (planstore.Record, error) {
	if s.applied {
		if _, err := s.Store.Update(id, version, record); err != nil {
			return planstore.Record{}, err
		}
	}
	return planstore.Record{}, fmt.Errorf("update plan record %s: %w", id, etcdjournal.ErrTermEnded)
}

// TestApprovalCutByTheTermIsNeverLost approves a plan as the leader's term
// ends at the approval's write, applied by etcd or not: the approval is
// reported failed, saying it may be recorded, and etcd holds either the
// plan pending or the plan approved with its moves recorded as a batch
// the next leader submits (settle). It is never approved with no moves to
// run, which nobody could approve again.
func TestApprovalCutByTheTermIsNeverLost(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(fmt.Sprintf("applied=%v", applied), func(t *testing.T) {
			f := newSharedPlanFixture(t)
			st := planstore.NewEtcd(etcdtest.Start(t, 1).Client(t), planstore.EtcdOptions{Prefix: "/site/"})
			if err := newPlanStore(st, f.key, f.trusted, f.log).save(f.plan, &collector.Snapshot{}, f.rec); err != nil {
				t.Fatal(err)
			}
			d := &Daemon{plans: newPlanStore(termEndingStore{Store: st, applied: applied}, f.key, f.trusted, f.log),
				fleet: &fleet.Fleet{Now: func() time.Time { return f.plan.Created }}, log: f.log}
			err := d.approve(f.plan.ID, "alice")
			if !errors.Is(err, etcdjournal.ErrTermEnded) {
				t.Fatalf("approve: %v, want it reported failed with the term", err)
			}
			t.Logf("approve: %v", err)
			rs := newPlanStore(st, f.key, f.trusted, f.log).records()
			if len(rs) != 1 {
				t.Fatalf("records %+v", rs)
			}
			r := rs[0]
			switch {
			case r.State == web.PlanPending && !applied:
			case r.State == web.PlanApproved && applied:
				b := r.Batches[approvedBatch]
				if b == nil || b.Submitted || !slices.Equal(b.Moves, f.rec.Pending) || len(r.MoveIDs) != len(f.rec.Pending) {
					t.Errorf("approved with moves %v, batches %+v: want the pending moves %v recorded, to submit", r.MoveIDs, r.Batches, f.rec.Pending)
				}
			default:
				t.Errorf("etcd holds the plan %s (applied: %v)", r.State, applied)
			}
		})
	}
}
