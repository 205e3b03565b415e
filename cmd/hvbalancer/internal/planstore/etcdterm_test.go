package planstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha/hatest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore/planstoretest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestEtcdWritesEndWithTheTerm cuts the store off etcd (a partition, not
// a refusal) while an Update waits: it ends when the writer's term does,
// with ErrTermEnded, rather than after the store's timeout (an hour
// here), and leaves the record as etcd holds it. Every write begun after
// the term ended (Save, Update, Remove, Sweep's) fails at once and is not
// sent; reads are not bound to the term.
func TestEtcdWritesEndWithTheTerm(t *testing.T) {
	c := etcdtest.Start(t, 1)
	proxy := hatest.NewProxy(t, strings.TrimPrefix(c.Endpoints()[0], "http://"))
	cli := etcdtest.Dial(t, proxy.URL())
	term := make(chan struct{})
	const prefix = "/site/"
	s := planstore.NewEtcd(cli, planstore.EtcdOptions{Prefix: prefix, Timeout: time.Hour,
		Term: func() <-chan struct{} { return term }})
	saved, err := s.Save("plan-1", planstoretest.Files("plan-1"), planstoretest.Record("plan-1", "pending"))
	if err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	etcdtest.EndTermDuring(t, term, "the update cut off", func() error { // the store's timeout is an hour
		_, err := s.Update("plan-1", saved.Version, planstoretest.Record("plan-1", "approved"))
		return err
	})
	writes := map[string]func() error{
		"save": func() error {
			_, err := s.Save("plan-2", planstoretest.Files("plan-2"), planstoretest.Record("plan-2", "pending"))
			return err
		},
		"update": func() error {
			_, err := s.Update("plan-1", saved.Version, planstoretest.Record("plan-1", "approved"))
			return err
		},
		"remove": func() error { return s.Remove("plan-1") },
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, etcdjournal.ErrTermEnded) {
			t.Errorf("%s after the term: err = %v, want ErrTermEnded", name, err)
		}
	}

	proxy.Restore()
	direct := c.Client(t)
	old := time.Now().Add(-2 * time.Hour).Format(time.RFC3339Nano)
	if _, err := direct.Put(t.Context(), prefix+"plans/saving/plan-old", old); err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Put(t.Context(), prefix+"plans/files/plan-old/plan.json/0000", "{}"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Sweep(time.Now().Add(-time.Hour)); !errors.Is(err, etcdjournal.ErrTermEnded) {
		t.Errorf("sweep after the term: %d, %v; want ErrTermEnded", n, err)
	}
	got, err := s.Get("plan-1") // a read, through the same store
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != saved.Version || string(got.Data) != string(planstoretest.Record("plan-1", "pending")) {
		t.Errorf("after the term plan-1 is %s at version %d, want it as saved (version %d)", got.Data, got.Version, saved.Version)
	}
	if _, err := s.Get("plan-2"); !errors.Is(err, planstore.ErrNotFound) {
		t.Errorf("plan-2, saved after the term: %v, want not found", err)
	}
	if r, err := direct.Get(t.Context(), prefix+"plans/files/plan-old/", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || r.Count != 1 {
		t.Errorf("plan-old's files after a sweep past the term: %v, %v; want them kept", r, err)
	}
}

// TestEtcdWriterReadsEndWithTheTerm: the reads of the store's Writer view,
// which a leader makes in order to write, end with the term as the writes
// do when the store is cut off from etcd (rather than after the store's
// timeout, an hour here), and fail at once, unsent, once it has ended; the
// store's own reads, a standby's, are not bound to it.
func TestEtcdWriterReadsEndWithTheTerm(t *testing.T) {
	c := etcdtest.Start(t, 1)
	proxy := hatest.NewProxy(t, strings.TrimPrefix(c.Endpoints()[0], "http://"))
	term := make(chan struct{})
	s := planstore.NewEtcd(etcdtest.Dial(t, proxy.URL()), planstore.EtcdOptions{Prefix: "/site/", Timeout: time.Hour,
		Term: func() <-chan struct{} { return term }})
	if _, err := s.Save("plan-1", planstoretest.Files("plan-1"), planstoretest.Record("plan-1", "pending")); err != nil {
		t.Fatal(err)
	}
	w := s.Writer()

	proxy.Cut()
	etcdtest.EndTermDuring(t, term, "the writer's read cut off", func() error {
		_, err := w.Get("plan-1")
		return err
	})
	reads := map[string]func() error{
		"get":     func() error { _, err := w.Get("plan-1"); return err },
		"records": func() error { _, err := w.Records(); return err },
		"file":    func() error { _, err := w.File("plan-1", "plan.json"); return err },
	}
	for name, read := range reads {
		if err := read(); !errors.Is(err, etcdjournal.ErrTermEnded) {
			t.Errorf("the writer's %s after the term: err = %v, want ErrTermEnded", name, err)
		}
	}

	proxy.Restore()
	if rs, err := s.Records(); err != nil || len(rs) != 1 {
		t.Errorf("the store's own records after the term: %v, %v; want plan-1", rs, err)
	}
	if _, err := s.File("plan-1", "plan.json"); err != nil {
		t.Errorf("the store's own file read after the term: %v", err)
	}
}
