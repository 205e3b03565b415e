package etcdjournal_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestQueueBatchParts proves what Queue writes through a journal fenced
// on a leader key, as the daemon's: a batch of journal.AtomicQueue moves
// is one transaction, which etcd's default limit of operations admits (the
// fence is asked once); a longer batch is written in parts of that many,
// and when the fence is lost after the first part, that part stays
// queued, Queue fails with ErrFenced, and queuing the batch again adds
// the rest.
func TestQueueBatchParts(t *testing.T) {
	c := etcdtest.Start(t, 1)
	cli := c.Client(t)
	const prefix = "/hvbalancer-test/batch/"
	_, fence := etcdtest.Lead(t, cli, prefix)
	var calls, allowed atomic.Int64
	allowed.Store(math.MaxInt64)
	j := etcdjournal.New(cli, etcdjournal.Options{Prefix: prefix, Fence: func() []clientv3.Cmp {
		if calls.Add(1) > allowed.Load() { // leadership lost: a leader key that is not there
			return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(prefix+"lost-leader"), ">", 0)}
		}
		return fence()
	}})
	t.Cleanup(func() { j.Close() })
	batch := func(plan string, n int) []journal.Entry {
		es := make([]journal.Entry, n)
		for i := range es {
			es[i] = journaltest.NewEntry(fmt.Sprintf("%s/%03d", plan, i), fmt.Sprintf("vm-%03d", i))
		}
		return es
	}
	queued := func(plan string) []string {
		t.Helper()
		es, err := j.Queued()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			if strings.HasPrefix(e.MoveID, plan+"/") {
				out = append(out, e.MoveID)
			}
		}
		return out
	}

	const n = journal.AtomicQueue
	created, err := j.Queue(batch("whole", n))
	if err != nil {
		t.Fatalf("queue a batch of %d: %v", n, err)
	}
	if got := count(created); got != n {
		t.Errorf("queued %d of a batch of %d", got, n)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("a batch of %d took %d transactions, want 1", n, got)
	}

	long := batch("long", 2*n+10)
	calls.Store(0)
	allowed.Store(1)
	if _, err := j.Queue(long); !errors.Is(err, etcdjournal.ErrFenced) {
		t.Fatalf("queue a batch of %d, the fence lost after its first part: %v, want ErrFenced", len(long), err)
	}
	got := queued("long")
	if len(got) != n || got[0] != long[0].MoveID || got[n-1] != long[n-1].MoveID {
		t.Errorf("after the fence was lost, %d of the batch are queued (%v), want its first %d", len(got), got, n)
	}
	allowed.Store(math.MaxInt64)
	created, err = j.Queue(long)
	if err != nil {
		t.Fatalf("queue the batch again: %v", err)
	}
	for i, c := range created {
		if c != (i >= n) {
			t.Errorf("queuing the batch again: move %d created %v, want %v", i, c, i >= n)
		}
	}
	if got := len(queued("long")); got != len(long) {
		t.Errorf("%d of the batch queued, want %d", got, len(long))
	}
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
