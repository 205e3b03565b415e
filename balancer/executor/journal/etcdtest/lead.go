package etcdtest

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Lead campaigns under prefix+"leader" until it leads, and returns the
// session (closed when the test ends; close it sooner to depose the
// leader) and the fence of that leadership: comparisons that hold while
// the leader key still has the create revision it was won with. The
// fence converts to etcdjournal.Fence and the plan store's.
func Lead(t testing.TB, cli *clientv3.Client, prefix string) (*concurrency.Session, func() []clientv3.Cmp) {
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
