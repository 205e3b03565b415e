package journaltest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// testQueueBatchAtomic: writers that queue the same batch of
// journal.AtomicQueue moves at once, each in its own order, queue it as
// one: exactly one writer queues every move and the others none, since
// each batch is written all or nothing.
func testQueueBatchAtomic(t *testing.T, h Harness) {
	first, o := open(t, h)
	ws := writers(t, h, o, first, racers)
	const n = journal.AtomicQueue
	var mu sync.Mutex
	made := make([]int, len(ws)) // moves each writer queued
	race(ws, func(i int, j journal.Store) {
		es := make([]journal.Entry, n)
		for k := range n {
			m := (k + i*11) % n
			es[k] = NewEntry(fmt.Sprintf("plan-6/%02d", m), fmt.Sprintf("vm-%02d", m))
		}
		created, err := j.Queue(es)
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, c := range created {
			if c {
				made[i]++
			}
		}
	})
	winners := 0
	for i, m := range made {
		switch m {
		case n:
			winners++
		case 0:
		default:
			t.Errorf("writer %d queued %d of the batch's %d moves, want all or none", i, m, n)
		}
	}
	if winners != 1 {
		t.Errorf("%d writers queued the whole batch, want 1 (%v)", winners, made)
	}
	if q := entries(t)(first.Queued()); len(q) != n {
		t.Errorf("%d queued, want %d", len(q), n)
	}
}
