package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/internal/lockedbuf"
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

// TestSharedPlanReadsEndWithTheTerm cuts a leader off etcd, then reads the
// plans as it does in order to change them: an approval reads the plan,
// an update the record it changes, a round lists the records it acts on.
// Each read ends when the term does, rather than after the store's
// timeout, and says that nothing was recorded; nothing is changed.
func TestSharedPlanReadsEndWithTheTerm(t *testing.T) {
	const ttl = 5 * time.Second // config's least
	l := electCutOffLeader(t, ttl)
	f := newSharedPlanFixture(t)
	var logged lockedbuf.Buffer
	l.d.log = slog.New(slog.NewTextHandler(&logged, nil))
	l.d.plans = l.d.sharedPlans(&config.Config{HA: &config.HA{Etcd: config.Etcd{Prefix: "/site"}}}, f.key, f.trusted)
	if err := l.d.plans.save(f.plan, &collector.Snapshot{}, f.rec); err != nil {
		t.Fatal(err)
	}

	l.proxy.Cut()
	cut := time.Now()
	reads := map[string]func() error{
		"the approval's read of the plan": func() error { return l.d.approve(f.plan.ID, "alice") },
		"the update's read of the record": func() error {
			return l.d.plans.update(f.plan.ID, func(*planRecord) error { return errors.New("changed though its read failed") })
		},
		"the round's list": func() error {
			if rs := l.d.plans.leadRecords(); len(rs) != 0 {
				return fmt.Errorf("listed %d plans through a cut", len(rs))
			}
			return nil
		},
	}
	ended := make(map[string]chan error, len(reads))
	for what, read := range reads {
		c := make(chan error, 1)
		ended[what] = c
		go func() { c <- read() }()
	}
	errs := map[string]error{}
	for what, c := range ended {
		select {
		case errs[what] = <-c:
		case <-time.After(2 * time.Minute): // not a timing: the read would end after the store's timeout
			t.Fatalf("%s outlived the term and the store's timeout", what)
		}
		t.Logf("%s ended %s after the cut (session TTL %s, store timeout %s): %v",
			what, time.Since(cut).Round(100*time.Millisecond), ttl, etcdjournal.DefaultTimeout, errs[what])
	}
	select {
	case <-l.term.Done():
	default:
		t.Error("the reads ended while the term had not")
	}
	if err := errs["the approval's read of the plan"]; !errors.Is(err, etcdjournal.ErrTermEnded) || !errors.Is(err, web.ErrUnavailable) || !strings.Contains(err.Error(), "not recorded") {
		t.Errorf("the approval: %v; want it to end with the term, not recorded", err)
	}
	if err := errs["the update's read of the record"]; !errors.Is(err, etcdjournal.ErrTermEnded) || !errors.Is(err, errNotRecorded) {
		t.Errorf("the update: %v; want it to end with the term, not recorded", err)
	}
	if err := errs["the round's list"]; err != nil || !strings.Contains(logged.String(), etcdjournal.ErrTermEnded.Error()) {
		t.Errorf("the round's list: %v, logged %q; want it to end with the term", err, logged.String())
	}

	l.proxy.Restore()
	rs := newPlanStore(planstore.NewEtcd(l.cluster.Client(t), planstore.EtcdOptions{Prefix: "/site/"}), f.key, f.trusted, f.log).records()
	if len(rs) != 1 || rs[0].State != web.PlanPending {
		t.Errorf("after the failed reads etcd holds %+v, want the plan pending", rs)
	}
}
