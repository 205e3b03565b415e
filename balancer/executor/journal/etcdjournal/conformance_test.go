package etcdjournal_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
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
			first, fence := etcdtest.Lead(t, cli, prefix)
			j := etcdjournal.New(cli, etcdjournal.Options{Prefix: prefix, PageSize: pageSize, Fence: fence})
			return j, func() journal.Store {
				// The first leader's session ends (its lease is revoked, as
				// when it expires); the writer itself has not noticed.
				if err := first.Close(); err != nil {
					t.Fatal(err)
				}
				_, fence := etcdtest.Lead(t, c.Client(t), prefix)
				return etcdjournal.New(c.Client(t), etcdjournal.Options{Prefix: prefix, PageSize: pageSize, Fence: fence})
			}
		},
		ErrFenced: etcdjournal.ErrFenced,
	})
}
