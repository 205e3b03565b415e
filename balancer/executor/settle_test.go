package executor

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// TestWaitAfterLastEvent proves the order an observer sees a move end in:
// the outcome is journaled before its event is sent, and Wait does not
// return the outcome until the event has been sent. While OnEvent holds
// a move's last event, the journal already says the outcome and Wait still
// waits; once Wait returns, the events it recorded end with that event.
func TestWaitAfterLastEvent(t *testing.T) {
	tests := []struct {
		name  string
		fail  error // Migrate's error
		lose  bool  // the VM moves although Migrate failed
		last  EventKind
		state journal.State
	}{
		{"succeeded", nil, false, EventSucceeded, journal.StateSucceeded},
		{"failed", migrationErr("vm-a", hyperv.ErrDestinationOutOfMemory), false, EventFailed, journal.StateFailed},
		{"reconciled moved", fmt.Errorf("move vm-a: %w", hyperv.ErrOutcomeUnknown), true, EventReconciled, journal.StateSucceeded},
		{"reconciled stayed", fmt.Errorf("move vm-a: %w", hyperv.ErrOutcomeUnknown), false, EventReconciled, journal.StateFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{}, nil)
			r.vms("a@A")
			r.fleet.set(func(f *fakeFleet) {
				if tc.fail != nil {
					f.fail["vm-a"] = tc.fail
				}
				f.lose["vm-a"] = tc.lose
			})
			type seen struct {
				journaled journal.State
				waitErr   error
			}
			during := make(chan seen, 1)
			r.mu.Lock()
			r.hook = func(ev Event) {
				if ev.Kind != tc.last {
					return
				}
				var s seen
				if en, err := r.j.Get(ev.MoveID); err == nil {
					s.journaled = en.State
				}
				ctx, cancel := context.WithCancel(context.Background())
				cancel() // Wait looks once and returns
				_, s.waitErr = r.e.Wait(ctx, []string{ev.MoveID})
				during <- s
			}
			r.mu.Unlock()
			cancel, done := r.run()
			ids := r.submit("p", mv("a", "A", "B"))
			es := r.wait(ids...)
			s := recv(t, during, "the move's last event")
			if s.journaled != tc.state {
				t.Errorf("during the %s event the journal says %q, want %q", tc.last, s.journaled, tc.state)
			}
			if !errors.Is(s.waitErr, context.Canceled) {
				t.Errorf("during the %s event Wait returned %v, want it still waiting", tc.last, s.waitErr)
			}
			if es[0].State != tc.state {
				t.Errorf("Wait returned %s, want %s", es[0].State, tc.state)
			}
			if k := r.kinds(ids[0]); len(k) == 0 || k[len(k)-1] != tc.last {
				t.Errorf("events when Wait returned: %v, want them to end with %s", k, tc.last)
			}
			cancel()
			if err := recv(t, done, "Run returns"); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
}

// lateStore is a journal whose Get, once armed, holds back an unknown
// entry of one move until the executor has resolved it and let it go:
// what a Wait that reads the journal just before a reconciliation ends
// meets under load.
type lateStore struct {
	journal.Store
	e      *Executor
	id     string
	armed  atomic.Bool
	locate chan<- struct{} // lets the reconciliation's Locate go on
}

func (s *lateStore) Get(id string) (journal.Entry, error) {
	en, err := s.Store.Get(id)
	if err != nil || id != s.id || en.State != journal.StateUnknown || !s.armed.CompareAndSwap(true, false) {
		return en, err
	}
	s.locate <- struct{}{}
	for {
		s.e.mu.Lock()
		ch, busy := s.e.changed, s.e.reconciling[id]
		s.e.mu.Unlock()
		if !busy {
			return en, err
		}
		<-ch
	}
}

// locateSignal tells when a Locate call begins.
type locateSignal struct {
	*fakeFleet
	entered chan struct{}
}

func (l locateSignal) Locate(ctx context.Context, vmID string, likely ...string) (Location, error) {
	l.entered <- struct{}{}
	return l.fakeFleet.Locate(ctx, vmID, likely...)
}

// TestWaitNotStaleUnknown proves that Wait does not return a move as
// unknown when its outcome was reconciled while Wait read the journal:
// the entry read says unknown, but the move was being located then, and
// Wait looks again and returns the reconciled outcome.
func TestWaitNotStaleUnknown(t *testing.T) {
	r := newRig(t, Config{}, nil)
	r.vms("a@A")
	locate := make(chan struct{})
	r.fleet.set(func(f *fakeFleet) {
		f.fail["vm-a"] = fmt.Errorf("move vm-a: %w", hyperv.ErrOutcomeUnknown)
		f.lose["vm-a"] = true
		f.locGate["vm-a"] = locate
	})
	mig := locateSignal{r.fleet, make(chan struct{}, 1)}
	store := &lateStore{Store: r.j, id: MoveID("p", 0), locate: locate}
	var err error
	if r.e, err = New(r.e.cfg, mig, nil, store, nil, prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	store.e = r.e
	cancel, done := r.run()
	ids := r.submit("p", mv("a", "A", "B"))
	recv(t, mig.entered, "the vm is located after the lost outcome")
	store.armed.Store(true)
	es := r.wait(ids...)
	if store.armed.Load() {
		t.Fatal("Wait never read the entry as unknown")
	}
	if diff := sameOutcome(outcome{journal.StateSucceeded, "", true}, outcome{es[0].State, es[0].Cause, es[0].Reconciled}); diff != "" {
		t.Errorf("Wait returned (-want +got):\n%s", diff)
	}
	cancel()
	if err := recv(t, done, "Run returns"); err != nil {
		t.Errorf("run: %v", err)
	}
}
