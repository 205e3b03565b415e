package planstore_test

import (
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore/planstoretest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestEtcdSweepFilesWithoutSavingKey: files with neither a record nor a
// saving key (a Save cut short by a daemon that wrote none) are marked
// by the first sweep that finds them and removed by a later one once
// the mark is older than its cutoff; a saving key left beside a record
// (a plan saved again, cut short) is removed and the plan kept.
func TestEtcdSweepFilesWithoutSavingKey(t *testing.T) {
	c := etcdtest.Start(t, 1)
	cli := c.Client(t)
	const prefix = "/site/"
	s := planstore.NewEtcd(cli, planstore.EtcdOptions{Prefix: prefix})
	ctx := t.Context()
	if _, err := cli.Put(ctx, prefix+"plans/files/plan-old/snapshot.json/0000", "{}"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save("plan-kept", planstoretest.Files("plan-kept"), planstoretest.Record("plan-kept", "done")); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, prefix+"plans/saving/plan-kept", time.Now().Add(-2*time.Hour).Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	count := func(key string) int64 {
		t.Helper()
		r, err := cli.Get(ctx, key, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		return r.Count
	}
	if n, err := s.Sweep(time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Fatalf("first sweep: %d removed, %v; want none (the files are marked now)", n, err)
	}
	if count(prefix+"plans/saving/plan-old") != 1 || count(prefix+"plans/files/plan-old/") != 1 {
		t.Fatalf("after the first sweep: want plan-old's files marked, and kept")
	}
	if count(prefix+"plans/saving/plan-kept") != 0 {
		t.Errorf("the saving key left beside plan-kept's record is still there")
	}
	if n, err := s.Sweep(time.Now().Add(time.Minute)); n != 1 || err != nil {
		t.Fatalf("second sweep: %d removed, %v; want plan-old's", n, err)
	}
	if n := count(prefix + "plans/files/plan-old/"); n != 0 {
		t.Errorf("%d keys of plan-old's files left", n)
	}
	if n := count(prefix + "plans/saving/"); n != 0 {
		t.Errorf("%d saving keys left", n)
	}
	for _, f := range planstoretest.Files("plan-kept") {
		if _, err := s.File("plan-kept", f.Name); err != nil {
			t.Errorf("plan-kept's %s: %v", f.Name, err)
		}
	}
}
