package etcdjournal_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// pageSize is small so that the suite's listings read many pages.
const pageSize = 16

// TestConformance runs the Store suite against a real embedded etcd
// server: each test has a prefix of its own, racing writers are journals
// over clients of their own (daemons), and the fence is an election's
// leader key, as the daemon's.
func TestConformance(t *testing.T) {
	c := etcdtest.Start(t, 1)
	var n atomic.Int64
	fresh := func() string { return fmt.Sprintf("/hvbalancer-test/%d/", n.Add(1)) }
	journaltest.Run(t, journaltest.Harness{
		Shared: true,
		Fresh: func(t *testing.T) journaltest.Opener {
			prefix := fresh()
			return func(t *testing.T) journal.Store {
				return etcdjournal.New(c.Client(t), etcdjournal.Options{Prefix: prefix, PageSize: pageSize})
			}
		},
		Fenced: func(t *testing.T) (journal.Store, func() journal.Store) {
			prefix := fresh()
			cli := c.Client(t)
			first, fence := lead(t, cli, prefix)
			j := etcdjournal.New(cli, etcdjournal.Options{Prefix: prefix, PageSize: pageSize, Fence: fence})
			return j, func() journal.Store {
				// The first leader's session ends (its lease is revoked, as
				// when it expires); the writer itself has not noticed.
				if err := first.Close(); err != nil {
					t.Fatal(err)
				}
				_, fence := lead(t, c.Client(t), prefix)
				return etcdjournal.New(c.Client(t), etcdjournal.Options{Prefix: prefix, PageSize: pageSize, Fence: fence})
			}
		},
		ErrFenced: etcdjournal.ErrFenced,
	})
}

// lead campaigns under prefix until it leads, and returns the session
// and the fence of that leadership: the leader key still has the create
// revision it was won with.
func lead(t *testing.T, cli *clientv3.Client, prefix string) (*concurrency.Session, etcdjournal.Fence) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := concurrency.NewSession(cli, concurrency.WithTTL(5))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := concurrency.NewElection(s, prefix+"leader")
	if err := e.Campaign(ctx, "daemon"); err != nil {
		t.Fatal(err)
	}
	key, rev := e.Key(), e.Rev()
	return s, func() []clientv3.Cmp {
		return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", rev)}
	}
}
