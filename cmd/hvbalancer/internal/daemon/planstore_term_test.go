package daemon

import (
	"errors"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestSharedPlanWriteEndsWithTheTerm cuts a leader off etcd while it
// approves a plan, between reading the plan's record and writing it: the
// write, which cannot reach etcd, ends when the leader's term does (its
// lease runs out), with an error saying so, rather than after the store's
// timeout, as the journal's writes do. The approval is reported failed,
// and etcd still holds the plan pending: nothing is recorded that the
// caller was not told of.
func TestSharedPlanWriteEndsWithTheTerm(t *testing.T) {
	const ttl = 5 * time.Second // config's least
	l := electCutOffLeader(t, ttl)
	f := newSharedPlanFixture(t)
	cluster, proxy, term, d := l.cluster, l.proxy, l.term, l.d
	plans := d.sharedPlans(&config.Config{HA: &config.HA{Etcd: config.Etcd{Prefix: "/site"}}}, f.key, f.trusted)
	if err := plans.save(f.plan, &collector.Snapshot{}, f.rec); err != nil {
		t.Fatal(err)
	}

	var (
		cut time.Time
		err error
	)
	done := make(chan error, 1)
	go func() {
		done <- plans.update(f.plan.ID, func(r *planRecord) error {
			proxy.Cut() // the record is read; its write cannot reach etcd
			cut = time.Now()
			r.State, r.Pending, r.ApprovedBy = web.PlanApproved, nil, "alice"
			return nil
		})
	}()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute): // not a timing: the write would end after the store's timeout
		t.Fatal("the approval's write outlived the term and the store's timeout")
	}
	took := time.Since(cut)
	if !errors.Is(err, etcdjournal.ErrTermEnded) {
		t.Errorf("the approval's write ended %s after the cut with %v; want it to end with the term (%v)", took.Round(100*time.Millisecond), err, etcdjournal.ErrTermEnded)
	}
	select {
	case <-term.Done():
	default:
		t.Errorf("the approval's write failed (%v) while the term had not ended", err)
	}
	t.Logf("the approval's write failed %s after the cut (session TTL %s, store timeout %s): %v",
		took.Round(100*time.Millisecond), ttl, etcdjournal.DefaultTimeout, err)

	proxy.Restore()
	rs := newPlanStore(planstore.NewEtcd(cluster.Client(t), planstore.EtcdOptions{Prefix: "/site/"}), f.key, f.trusted, f.log).records()
	if len(rs) != 1 || rs[0].State != web.PlanPending {
		t.Errorf("after the failed approval etcd holds %+v, want the plan pending", rs)
	}
}
