package planstore_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore/planstoretest"
)

// checkID reads the plan id a record names, as the daemon's check does.
func checkID(b []byte) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	err := json.Unmarshal(b, &r)
	return r.ID, err
}

// TestDirConformance runs the suite against the directory store.
func TestDirConformance(t *testing.T) {
	planstoretest.Run(t, planstoretest.Harness{
		Fresh: func(t *testing.T) planstoretest.Opener {
			dir := t.TempDir()
			return func(t *testing.T) planstore.Store {
				s, err := planstore.OpenDir(dir, checkID, slog.New(slog.NewTextHandler(io.Discard, nil)))
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		},
	})
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
	})
}
