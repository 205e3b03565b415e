package etcdjournal_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// stallKV is etcd cut off when stalled: every request waits for its
// context to end.
type stallKV struct {
	clientv3.KV
	stalled atomic.Bool
}

func (s *stallKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if s.stalled.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.KV.Get(ctx, key, opts...)
}

func (s *stallKV) Txn(ctx context.Context) clientv3.Txn {
	if s.stalled.Load() {
		return stallTxn{ctx}
	}
	return s.KV.Txn(ctx)
}

type stallTxn struct{ ctx context.Context }

func (t stallTxn) If(...clientv3.Cmp) clientv3.Txn  { return t }
func (t stallTxn) Then(...clientv3.Op) clientv3.Txn { return t }
func (t stallTxn) Else(...clientv3.Op) clientv3.Txn { return t }
func (t stallTxn) Commit() (*clientv3.TxnResponse, error) {
	<-t.ctx.Done()
	return nil, t.ctx.Err()
}

// TestWriteEndsWithTheTerm proves that a write waiting for an etcd it
// cannot reach ends when the writer's term does, with ErrTermEnded,
// rather than after the store's timeout (an hour here), and leaves the
// entry as etcd holds it; a write begun after the term ended fails at
// once, and reads are not bound to the term.
func TestWriteEndsWithTheTerm(t *testing.T) {
	kv := &stallKV{KV: etcdtest.Start(t, 1).Client(t)}
	term := make(chan struct{})
	j := etcdjournal.New(kv, etcdjournal.Options{Prefix: "/site/", Timeout: time.Hour,
		Term: func() <-chan struct{} { return term }})
	if _, _, err := j.Intend(journaltest.NewEntry("plan-1/0", "vm-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition("plan-1/0", journal.StateStarted, time.Now(), "", ""); err != nil {
		t.Fatal(err)
	}
	kv.stalled.Store(true)
	etcdtest.EndTermDuring(t, term, "the outcome write", func() error { // the store's timeout is an hour
		_, err := j.Transition("plan-1/0", journal.StateSucceeded, time.Now(), "", "")
		return err
	})
	if _, _, err := j.Intend(journaltest.NewEntry("plan-1/1", "vm-b")); !errors.Is(err, etcdjournal.ErrTermEnded) {
		t.Errorf("a write after the term: err = %v, want ErrTermEnded", err)
	}
	kv.stalled.Store(false)
	e, err := j.Get("plan-1/0")
	if err != nil || e.State != journal.StateStarted {
		t.Errorf("after the term the entry is %s, %v; want started, as the write left it", e.State, err)
	}
}
