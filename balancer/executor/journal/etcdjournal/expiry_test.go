package etcdjournal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// TestFenceHoldsAfterTheLeaseExpires proves fencing when a leader is cut
// off rather than stepping down: its session's keep-alives stop (the
// client that sent them is gone), etcd lets the lease expire and deletes
// the leader key, and when the leader's journal reaches etcd again its
// writes are refused with ErrFenced, before and after another daemon wins
// the election, while the new leader's go through.
func TestFenceHoldsAfterTheLeaseExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := etcdtest.Start(t, 1)
	const prefix = "/site/"
	keepAlive := c.Client(t) // the leader's connection that will be cut
	s, err := concurrency.NewSession(keepAlive, concurrency.WithTTL(1))
	if err != nil {
		t.Fatal(err)
	}
	e := concurrency.NewElection(s, prefix+"leader")
	if err := e.Campaign(ctx, "daemon-a"); err != nil {
		t.Fatal(err)
	}
	key, rev := e.Key(), e.Rev()
	fence := func() []clientv3.Cmp {
		return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", rev)}
	}
	writes := c.Client(t) // the leader's journal, over a connection that comes back
	old := etcdjournal.New(writes, etcdjournal.Options{Prefix: prefix, Fence: fence})
	if _, _, err := old.Intend(journaltest.NewEntry("plan-1/0", "vm-a")); err != nil {
		t.Fatal(err)
	}
	keepAlive.Close() // cut off: no keep-alive, no revocation
	for {             // wait for etcd to expire the lease
		r, err := writes.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Kvs) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the lease did not expire")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := old.Transition("plan-1/0", journal.StateStarted, journaltest.T0, "", ""); !errors.Is(err, etcdjournal.ErrFenced) {
		t.Errorf("start journaled after the lease expired: %v, want ErrFenced", err)
	}
	next, err := concurrency.NewSession(writes, concurrency.WithTTL(5))
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	ne := concurrency.NewElection(next, prefix+"leader")
	if err := ne.Campaign(ctx, "daemon-b"); err != nil {
		t.Fatal(err)
	}
	nkey, nrev := ne.Key(), ne.Rev()
	leader := etcdjournal.New(writes, etcdjournal.Options{Prefix: prefix, Fence: func() []clientv3.Cmp {
		return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(nkey), "=", nrev)}
	}})
	if _, _, err := old.Intend(journaltest.NewEntry("plan-1/1", "vm-b")); !errors.Is(err, etcdjournal.ErrFenced) {
		t.Errorf("intent journaled by the deposed leader: %v, want ErrFenced", err)
	}
	if _, err := leader.Transition("plan-1/0", journal.StateSkipped, journaltest.T0, "", "the leader changed"); err != nil {
		t.Errorf("new leader: %v", err)
	}
	if es, err := leader.Entries(0, nil); err != nil || len(es) != 1 || es[0].State != journal.StateSkipped {
		t.Errorf("journal: %+v %v, want only the new leader's outcome", es, err)
	}
}
