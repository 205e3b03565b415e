package planstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore/planstoretest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// checkID reads the plan id a record names, as the daemon's check does.
func checkID(b []byte) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	err := json.Unmarshal(b, &r)
	return r.ID, err
}

// TestDirConformance runs the suite against the directory store. A Save
// cut short leaves the plan's directory with its files and no
// record.json, as a crash between the two does.
func TestDirConformance(t *testing.T) {
	fresh := func(t *testing.T) (string, planstoretest.Opener) {
		dir := t.TempDir()
		return dir, func(t *testing.T) planstore.Store {
			s, err := planstore.OpenDir(dir, checkID, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	planstoretest.Run(t, planstoretest.Harness{
		Fresh: func(t *testing.T) planstoretest.Opener { _, o := fresh(t); return o },
		CutShort: func(t *testing.T) (planstore.Store, func(string, []planstore.File)) {
			dir, o := fresh(t)
			return o(t), func(id string, files []planstore.File) {
				if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					if err := os.WriteFile(filepath.Join(dir, id, f.Name), f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		},
	})
}

// recordRefused is etcd as a daemon sees it when it dies, or is deposed,
// between a plan's files and its record: every transaction that writes a
// record fails.
type recordRefused struct {
	clientv3.KV
	records string // the records' key prefix
}

func (kv recordRefused) Txn(ctx context.Context) clientv3.Txn {
	return &refusingTxn{Txn: kv.KV.Txn(ctx), records: kv.records}
}

type refusingTxn struct {
	clientv3.Txn
	records string
	refuse  bool
}

func (t *refusingTxn) If(cs ...clientv3.Cmp) clientv3.Txn {
	t.Txn = t.Txn.If(cs...)
	return t
}

func (t *refusingTxn) Else(ops ...clientv3.Op) clientv3.Txn {
	t.refuse = t.refuse || writesRecord(ops, t.records)
	t.Txn = t.Txn.Else(ops...)
	return t
}

func (t *refusingTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	t.refuse = t.refuse || writesRecord(ops, t.records)
	t.Txn = t.Txn.Then(ops...)
	return t
}

func (t *refusingTxn) Commit() (*clientv3.TxnResponse, error) {
	if t.refuse {
		return nil, errors.New("the daemon is gone")
	}
	return t.Txn.Commit()
}

func writesRecord(ops []clientv3.Op, records string) bool {
	for _, op := range ops {
		if op.IsTxn() {
			_, then, els := op.Txn()
			if writesRecord(then, records) || writesRecord(els, records) {
				return true
			}
		}
		if op.IsPut() && strings.HasPrefix(string(op.KeyBytes()), records) {
			return true
		}
	}
	return false
}

// TestEtcdConformance runs the suite against the etcd store on a real
// embedded etcd server, each test under a prefix of its own, racing
// writers over clients of their own, fenced on an election's leader key.
func TestEtcdConformance(t *testing.T) {
	c := etcdtest.Start(t, 1)
	var n atomic.Int64
	fresh := func() string { return fmt.Sprintf("/hvbalancer-test/%d/", n.Add(1)) }
	opts := func(prefix string, fence etcdjournal.Fence) planstore.EtcdOptions {
		return planstore.EtcdOptions{Prefix: prefix, Fence: fence, PageSize: 2}
	}
	planstoretest.Run(t, planstoretest.Harness{
		Shared: true,
		Fresh: func(t *testing.T) planstoretest.Opener {
			prefix := fresh()
			return func(t *testing.T) planstore.Store { return planstore.NewEtcd(c.Client(t), opts(prefix, nil)) }
		},
		Fenced: func(t *testing.T) (planstore.Store, func() planstore.Store) {
			prefix := fresh()
			cli := c.Client(t)
			first, fence := etcdtest.Lead(t, cli, prefix)
			return planstore.NewEtcd(cli, opts(prefix, fence)), func() planstore.Store {
				if err := first.Close(); err != nil { // its lease is revoked, as when it expires
					t.Fatal(err)
				}
				_, fence := etcdtest.Lead(t, c.Client(t), prefix)
				return planstore.NewEtcd(c.Client(t), opts(prefix, fence))
			}
		},
		ErrFenced: etcdjournal.ErrFenced,
		CutShort: func(t *testing.T) (planstore.Store, func(string, []planstore.File)) {
			prefix := fresh()
			cli := c.Client(t)
			return planstore.NewEtcd(cli, opts(prefix, nil)), func(id string, files []planstore.File) {
				gone := planstore.NewEtcd(recordRefused{KV: cli, records: prefix + "plans/records/"}, opts(prefix, nil))
				if _, err := gone.Save(id, files, planstoretest.Record(id, "pending")); err == nil {
					t.Fatal("a Save whose record is refused succeeded")
				}
			}
		},
	})
}
