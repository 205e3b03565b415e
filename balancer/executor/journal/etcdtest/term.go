package etcdtest

import (
	"errors"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
)

// EndTermDuring runs write, which waits for an etcd it cannot reach,
// closes term meanwhile, and fails t unless write returns an error
// wrapping etcdjournal.ErrTermEnded: a store that ends its writes with
// the writer's term. It gives up after a minute, which is not a timing:
// the store under test is given a far longer timeout.
func EndTermDuring(t testing.TB, term chan struct{}, what string, write func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- write() }()
	close(term)
	select {
	case err := <-done:
		if !errors.Is(err, etcdjournal.ErrTermEnded) {
			t.Errorf("%s: err = %v, want ErrTermEnded", what, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s outlived the term", what)
	}
}
