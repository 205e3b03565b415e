package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// restart simulates a daemon restart: it closes the journal, opens the
// same file again and makes a new executor over it, with the same config,
// fleet, validator and clock. The old executor must be idle.
func (r *rig) restart() {
	r.t.Helper()
	cfg, v := r.e.cfg, r.e.val
	if err := r.j.Close(); err != nil {
		r.t.Fatal(err)
	}
	var err error
	if r.j, err = journal.Open(r.path); err != nil {
		r.t.Fatal(err)
	}
	r.reg = prometheus.NewRegistry()
	if r.e, err = New(cfg, r.fleet, v, r.j, nil, r.reg); err != nil {
		r.t.Fatal(err)
	}
}

// run starts Run and returns a cancel func and the channel Run's result
// arrives on. The test's cleanup stops it if the test did not.
func (r *rig) run() (context.CancelFunc, <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.e.Run(ctx) }()
	r.t.Cleanup(cancel)
	return cancel, done
}

// wait waits for the moves to settle, with a hang guard.
func (r *rig) wait(ids ...string) []journal.Entry {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	es, err := r.e.Wait(ctx, ids)
	if err != nil {
		r.t.Fatal(err)
	}
	return es
}

// hangGuard bounds every wait on a channel, so that a broken executor
// fails the test instead of hanging it; it is not a timing assertion.
const hangGuard = time.Minute

// recv receives from ch, or fails the test after hangGuard.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("never happened: %s", what)
		panic("unreachable")
	}
}

// send sends v on ch, or fails the test after hangGuard.
func send[T any](t *testing.T, ch chan<- T, v T, what string) {
	t.Helper()
	select {
	case ch <- v:
	case <-time.After(hangGuard):
		t.Fatalf("never happened: %s", what)
	}
}

// migrationErr is a real typed hyperv migration failure.
func migrationErr(vm string, cause error) error {
	return &hyperv.MigrationError{VMID: vm, Source: "A", Destination: "B", Err: cause, Message: cause.Error()}
}

// TestExecutorCooldown proves the per-VM cooldown: a VM that moved is not
// moved again within Cooldown (skipped, cause cooldown, Migrate not called),
// also by a new executor over the same journal; past the cooldown it moves.
func TestExecutorCooldown(t *testing.T) {
	r := newRig(t, Config{Cooldown: time.Hour}, nil)
	r.vms("a@A", "b@A")
	first := r.submit("p1", mv("a", "A", "B"))
	r.pass()
	if got := r.outcome(first[0]); got.State != journal.StateSucceeded {
		t.Fatalf("first move: %+v", got)
	}

	r.clock.Advance(time.Hour - time.Second)
	again := r.submit("p2", mv("a", "B", "A"), mv("b", "A", "B"))
	r.pass()
	if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: CauseCooldown}, r.outcome(again[0])); diff != "" {
		t.Errorf("move within the cooldown (-want +got):\n%s", diff)
	}
	if got := r.outcome(again[1]); got.State != journal.StateSucceeded {
		t.Errorf("another vm's move is not held back by the cooldown: %+v", got)
	}
	if n := r.fleet.callsOf("vm-a"); n != 1 {
		t.Errorf("vm-a migrated %d times within the cooldown, want 1", n)
	}
	if !r.e.Blocked("vm-a") {
		t.Error("Blocked(vm-a) is false within the cooldown")
	}

	// The cooldown survives a restart: it is read from the journal.
	r.restart()
	restarted := r.submit("p3", mv("a", "B", "A"))
	r.pass()
	if got := r.outcome(restarted[0]); got.State != journal.StateSkipped || got.Cause != CauseCooldown {
		t.Errorf("move within the cooldown after a restart: %+v", got)
	}

	r.clock.Advance(2 * time.Second)
	if r.e.Blocked("vm-a") {
		t.Error("Blocked(vm-a) is true past the cooldown")
	}
	after := r.submit("p4", mv("a", "B", "A"))
	r.pass()
	if got := r.outcome(after[0]); got.State != journal.StateSucceeded {
		t.Errorf("move past the cooldown: %+v", got)
	}
	if n := r.fleet.callsOf("vm-a"); n != 2 {
		t.Errorf("vm-a migrated %d times, want 2", n)
	}
}

// TestExecutorHoldAfterFailure proves that a failed Migrate journals
// failed with the typed cause of the hyperv error, and that the VM is
// skipped (cause held) until HoldAfterFailure passes, also after a restart.
func TestExecutorHoldAfterFailure(t *testing.T) {
	tests := []struct {
		err   error
		cause string
	}{
		{migrationErr("vm-a", hyperv.ErrDoubleHop), CauseDoubleHop},
		{migrationErr("vm-a", hyperv.ErrDestinationOutOfMemory), CauseOutOfMemory},
		{migrationErr("vm-a", hyperv.ErrIncompatibleHardware), CauseIncompatible},
		{fmt.Errorf("move vm-a: %w", hyperv.ErrConnectionRefused), CauseConnectionRefused},
		{migrationErr("vm-a", hyperv.ErrMigrationFailed), CauseFailed},
		{errors.New("something else"), CauseFailed},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tc.cause), func(t *testing.T) {
			r := newRig(t, Config{HoldAfterFailure: 30 * time.Minute}, nil)
			r.vms("a@A")
			r.fleet.set(func(f *fakeFleet) { f.fail["vm-a"] = tc.err })
			ids := r.submit("p1", mv("a", "A", "B"))
			r.pass()
			en := r.entry(ids[0])
			if en.State != journal.StateFailed || en.Cause != tc.cause || en.Error != tc.err.Error() {
				t.Fatalf("failed move journaled as %s, cause %q, error %q; want failed, %q, %q", en.State, en.Cause, en.Error, tc.cause, tc.err)
			}
			if diff := cmp.Diff([]EventKind{EventQueued, EventStarted, EventFailed}, r.kinds(ids[0])); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}

			// The fleet would now let it move: only the hold stops it.
			r.fleet.set(func(f *fakeFleet) { delete(f.fail, "vm-a") })
			r.clock.Advance(30*time.Minute - time.Second)
			held := r.submit("p2", mv("a", "A", "B"))
			r.pass()
			if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: CauseHeld}, r.outcome(held[0])); diff != "" {
				t.Errorf("move within the hold (-want +got):\n%s", diff)
			}
			r.restart()
			heldAgain := r.submit("p3", mv("a", "A", "B"))
			r.pass()
			if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: CauseHeld}, r.outcome(heldAgain[0])); diff != "" {
				t.Errorf("move within the hold after a restart (-want +got):\n%s", diff)
			}
			if n := r.fleet.callsOf("vm-a"); n != 1 {
				t.Errorf("vm-a migrated %d times while held, want 1", n)
			}

			r.clock.Advance(2 * time.Second)
			after := r.submit("p4", mv("a", "A", "B"))
			r.pass()
			if got := r.outcome(after[0]); got.State != journal.StateSucceeded {
				t.Errorf("move past the hold: %+v", got)
			}
		})
	}
}

// TestExecutorRevalidation proves that a move the Validator calls stale is
// skipped with cause stale without calling Migrate, and gives its token
// back: with a bucket of one token and one token an hour, the next move
// starts at the same instant instead of an hour later.
func TestExecutorRevalidation(t *testing.T) {
	v := &fakeValidator{stale: map[string]string{"vm-a": "the source is no longer overloaded"}}
	r := newRig(t, Config{Rate: rate.Every(time.Hour), Burst: 1}, v)
	r.vms("a@A", "b@C")
	ids := r.submit("p", mv("a", "A", "B"), mv("b", "C", "D"))

	r.pass() // vm-a takes the only token; vm-b waits for one
	if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: CauseStale}, r.outcome(ids[0])); diff != "" {
		t.Errorf("stale move (-want +got):\n%s", diff)
	}
	if en := r.entry(ids[0]); !strings.Contains(en.Error, "no longer overloaded") {
		t.Errorf("stale move's reason %q does not say the validator's", en.Error)
	}
	if n := r.fleet.callsOf("vm-a"); n != 0 {
		t.Errorf("stale vm-a migrated %d times", n)
	}
	if diff := cmp.Diff([]EventKind{EventQueued, EventSkipped}, r.kinds(ids[0])); diff != "" {
		t.Errorf("stale move's events (-want +got):\n%s", diff)
	}

	// Same instant: only the token vm-a gave back lets vm-b start.
	ctx := context.Background()
	if wait := r.e.step(ctx, ctx); wait != 0 {
		t.Errorf("the next move waits %s for a token: the stale move did not give its token back", wait)
	}
	r.e.wg.Wait()
	if got := r.outcome(ids[1]); got.State != journal.StateSucceeded {
		t.Errorf("the move after the stale one: %+v", got)
	}
	v.mu.Lock()
	seen := v.seen
	v.mu.Unlock()
	if diff := cmp.Diff([]string{"vm-a", "vm-b"}, seen); diff != "" {
		t.Errorf("validated (-want +got):\n%s", diff)
	}
}

// TestExecutorVerification proves that a Move-VM that reports success
// while the VM stays on the source is journaled failed, cause
// verification, and holds the VM.
func TestExecutorVerification(t *testing.T) {
	r := newRig(t, Config{HoldAfterFailure: time.Hour}, nil)
	r.vms("a@A")
	r.fleet.set(func(f *fakeFleet) { f.stay["vm-a"] = true })
	ids := r.submit("p", mv("a", "A", "B"))
	r.pass()
	if diff := cmp.Diff(outcome{State: journal.StateFailed, Cause: CauseVerification}, r.outcome(ids[0])); diff != "" {
		t.Errorf("unverified move (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]EventKind{EventQueued, EventStarted, EventFailed}, r.kinds(ids[0])); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	again := r.submit("p2", mv("a", "A", "B"))
	r.pass()
	if got := r.outcome(again[0]); got.State != journal.StateSkipped || got.Cause != CauseHeld {
		t.Errorf("move of the vm after a failed verification: %+v", got)
	}
}

// TestExecutorUnknownOutcome proves, through Run, that a migration whose
// outcome is lost (the hyperv error maps to outcome_unknown) is journaled
// unknown and blocks its VM (a new move of it is skipped, cause blocked)
// until locating the VM tells the outcome; the VM is never migrated twice.
func TestExecutorUnknownOutcome(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		moved bool // the VM did move
		want  outcome
	}{
		{"lost connection, vm moved", fmt.Errorf("move vm-a: %w", hyperv.ErrOutcomeUnknown), true, outcome{journal.StateSucceeded, "", true}},
		{"call timeout, vm moved", fmt.Errorf("move vm-a: %w", errors.Join(hyperv.ErrTimeout, context.DeadlineExceeded)), true, outcome{journal.StateSucceeded, "", true}},
		{"lost connection, vm stayed", fmt.Errorf("move vm-a: %w", hyperv.ErrOutcomeUnknown), false, outcome{journal.StateFailed, CauseInterrupted, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if Cause(tc.err) != CauseOutcomeUnknown {
				t.Fatalf("Cause(%v) = %s", tc.err, Cause(tc.err))
			}
			r := newRig(t, Config{}, nil)
			r.vms("a@A")
			locate := make(chan struct{})
			r.fleet.set(func(f *fakeFleet) {
				f.fail["vm-a"] = tc.err
				f.lose["vm-a"] = tc.moved
				f.locGate["vm-a"] = locate
			})
			cancel, done := r.run()
			ids := r.submit("p1", mv("a", "A", "B"))
			r.until("the outcome is unknown", func() bool { return r.outcome(ids[0]).State == journal.StateUnknown })
			if !r.e.Blocked("vm-a") {
				t.Error("Blocked(vm-a) is false while its outcome is unknown")
			}
			if st := r.e.Status(); len(st.Blocked) != 1 || st.Blocked[0].MoveID != ids[0] {
				t.Errorf("status lists blocked vms %+v", st.Blocked)
			}

			blocked := r.submit("p2", mv("a", "A", "C"))
			r.until("the new move is refused", func() bool { return r.outcome(blocked[0]).State.Final() })
			if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: CauseBlocked}, r.outcome(blocked[0])); diff != "" {
				t.Errorf("move of a blocked vm (-want +got):\n%s", diff)
			}
			if got := r.outcome(ids[0]).State; got != journal.StateUnknown {
				t.Errorf("resolved as %s before the vm was located", got)
			}

			send(t, locate, struct{}{}, "the background reconciliation locates the vm")
			es := r.wait(ids...)
			if diff := sameOutcome(tc.want, outcome{es[0].State, es[0].Cause, es[0].Reconciled}); diff != "" {
				t.Errorf("reconciled outcome (-want +got):\n%s", diff)
			}
			if n := r.fleet.callsOf("vm-a"); n != 1 {
				t.Errorf("vm-a migrated %d times, want 1", n)
			}
			if diff := cmp.Diff([]EventKind{EventQueued, EventStarted, EventUnknown, EventReconciled}, r.kinds(ids[0])); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if st := r.e.Status(); len(st.Blocked) != 0 {
				t.Errorf("still blocked after reconciling: %+v", st.Blocked)
			}
			cancel()
			if err := recv(t, done, "Run returns"); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
}

// TestExecutorRestartReconcile proves that a new executor over a journal
// left by a crash blocks the VMs of unresolved entries, and that Reconcile
// resolves each by locating the VM, without ever calling Migrate.
func TestExecutorRestartReconcile(t *testing.T) {
	r := newRig(t, Config{HoldAfterFailure: time.Hour}, nil)
	r.vms("dst@B", "src@A", "intent@A", "lost@A")
	r.fleet.set(func(f *fakeFleet) { f.locErr["vm-lost"] = fmt.Errorf("locate: %w", hyperv.ErrUnreachable) })
	now := r.clock.Now()
	crash := []struct {
		m       moves.Move
		started bool
		want    outcome
		blocked bool // after Reconcile
	}{
		{mv("dst", "A", "B"), true, outcome{journal.StateSucceeded, "", true}, false},
		{mv("src", "A", "B"), true, outcome{journal.StateFailed, CauseInterrupted, true}, true}, // held
		{mv("intent", "A", "B"), false, outcome{journal.StateSkipped, CauseNotStarted, false}, false},
		{mv("lost", "A", "B"), true, outcome{journal.StateUnknown, CauseInterrupted, false}, true},
	}
	for i, c := range crash {
		id := fmt.Sprintf("crashed/%d", i)
		if _, _, err := r.j.Intend(journal.Entry{MoveID: id, PlanID: "crashed", VMID: c.m.VM, VMName: c.m.VMName, From: c.m.From, To: c.m.To, Intent: now}); err != nil {
			t.Fatal(err)
		}
		if c.started {
			if _, err := r.j.Transition(id, journal.StateStarted, now, "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.restart()
	for _, c := range crash {
		if !r.e.Blocked(c.m.VM) {
			t.Errorf("after the restart, Blocked(%s) is false", c.m.VM)
		}
	}
	if n := len(r.e.Status().Blocked); n != len(crash) {
		t.Errorf("status lists %d blocked vms, want %d", n, len(crash))
	}
	// A move of a blocked VM submitted before reconciling is refused.
	early := r.submit("early", mv("dst", "B", "C"))
	r.pass()
	if got := r.outcome(early[0]); got.State != journal.StateSkipped || got.Cause != CauseBlocked {
		t.Errorf("move of a blocked vm before reconciling: %+v", got)
	}

	if err := r.e.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Second) // past the rig's one-nanosecond cooldown
	for i, c := range crash {
		id := fmt.Sprintf("crashed/%d", i)
		if diff := sameOutcome(c.want, r.outcome(id)); diff != "" {
			t.Errorf("%s (%s) (-want +got):\n%s", id, c.m.VM, diff)
		}
		if got := r.e.Blocked(c.m.VM); got != c.blocked {
			t.Errorf("after Reconcile, Blocked(%s) = %v, want %v", c.m.VM, got, c.blocked)
		}
		if n := r.fleet.callsOf(c.m.VM); n != 0 {
			t.Errorf("reconciling migrated %s %d times", c.m.VM, n)
		}
	}
	if st := r.e.Status(); len(st.Blocked) != 1 || st.Blocked[0].VMID != "vm-lost" || st.Blocked[0].State != journal.StateUnknown {
		t.Errorf("status lists blocked vms %+v, want only vm-lost, unknown as journaled", st.Blocked)
	}

	// Once the VM can be located, the next Reconcile resolves it.
	r.fleet.set(func(f *fakeFleet) { delete(f.locErr, "vm-lost") })
	if err := r.e.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.outcome("crashed/3"); got.State != journal.StateFailed || got.Cause != CauseInterrupted || !got.Reconciled {
		t.Errorf("crashed/3 once located: %+v", got)
	}
	if n := r.fleet.callsOf("vm-lost"); n != 0 {
		t.Errorf("reconciling migrated vm-lost %d times", n)
	}
}

// TestExecutorSubmitDedupe proves that a move id is carried out once: a
// second Submit of the same plan while it is queued or running queues
// nothing, and after it is journaled, neither this executor nor a new one
// over the same journal migrates it again.
func TestExecutorSubmitDedupe(t *testing.T) {
	r := newRig(t, Config{}, nil)
	r.vms("a@A")
	ids := r.submit("p", mv("a", "A", "B"))
	if again := r.submit("p", mv("a", "A", "B")); !cmp.Equal(ids, again) {
		t.Errorf("ids %v, then %v", ids, again)
	}
	if n := len(r.e.Status().Queued); n != 1 {
		t.Fatalf("%d queued after submitting the same plan twice, want 1", n)
	}

	gate := r.fleet.gated()
	ctx := context.Background()
	r.e.step(ctx, ctx)
	c := recv(t, gate, "the move starts")
	r.submit("p", mv("a", "A", "B"))
	if n := len(r.e.Status().Queued); n != 0 {
		t.Errorf("%d queued after submitting a running move again", n)
	}
	c.done <- nil
	r.e.wg.Wait()
	if got := r.outcome(ids[0]); got.State != journal.StateSucceeded {
		t.Fatalf("move: %+v", got)
	}

	// Put the VM back where the plan found it and let the cooldown pass:
	// only the journal stops the move from running twice.
	r.fleet.set(func(f *fakeFleet) { f.where["vm-a"] = "A"; f.gate = nil })
	r.clock.Advance(time.Hour)
	r.submit("p", mv("a", "A", "B"))
	if n := len(r.e.Status().Queued); n != 0 {
		t.Errorf("%d queued after submitting a journaled move again", n)
	}
	r.pass()
	r.restart()
	r.submit("p", mv("a", "A", "B"))
	if n := len(r.e.Status().Queued); n != 0 {
		t.Errorf("%d queued on a new executor after submitting a journaled move again", n)
	}
	r.pass()
	if n := r.fleet.callsOf("vm-a"); n != 1 {
		t.Errorf("vm-a migrated %d times, want 1", n)
	}
	if got := r.kinds(ids[0]); len(got) != 3 {
		t.Errorf("events %v, want one queued, started, succeeded", got)
	}
	if es := r.wait(ids...); es[0].State != journal.StateSucceeded {
		t.Errorf("Wait on a new executor: %+v", es[0])
	}
}

// breakerGauges reads hvbalancer_executor_circuit_breaker_open by host.
func breakerGauges(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "hvbalancer_executor_circuit_breaker_open" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "host" {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}

// TestExecutorCircuitBreaker proves a host's breaker: after
// BreakerThreshold consecutive failures touching it, moves touching it are
// skipped (cause breaker_open) while others run; after BreakerCooldown one
// trial move runs while the others touching the host wait; its success
// closes the breaker, its failure opens it for another cooldown.
func TestExecutorCircuitBreaker(t *testing.T) {
	for _, trialOK := range []bool{true, false} {
		t.Run(fmt.Sprintf("trial succeeds %v", trialOK), func(t *testing.T) {
			r := newRig(t, Config{BreakerThreshold: 2, BreakerCooldown: 10 * time.Minute}, nil)
			r.vms("f1@X", "f2@Q", "c@X", "d@S", "e@X", "g@R")
			boom := migrationErr("vm", hyperv.ErrConnectionRefused)
			r.fleet.set(func(f *fakeFleet) { f.fail["vm-f1"], f.fail["vm-f2"] = boom, boom })

			// One failure: still closed.
			first := r.submit("f1", mv("f1", "X", "P"))
			r.pass()
			if got := r.outcome(first[0]); got.State != journal.StateFailed {
				t.Fatalf("first failure: %+v", got)
			}
			st := r.e.Status().Breakers
			if len(st) != 2 || st[0].Host != "P" || st[1].Host != "X" || st[1].State != breakerClosed || st[1].Failures != 1 {
				t.Errorf("after one failure, breakers %+v", st)
			}
			second := r.submit("f2", mv("f2", "Q", "X"))
			r.pass()
			if got := r.outcome(second[0]); got.State != journal.StateFailed {
				t.Fatalf("second failure: %+v", got)
			}
			want := []BreakerStatus{
				{Host: "P", State: breakerClosed, Failures: 1},
				{Host: "Q", State: breakerClosed, Failures: 1},
				{Host: "X", State: breakerOpen, Failures: 2, OpenUntil: r.clock.Now().Add(10 * time.Minute)},
			}
			if diff := cmp.Diff(want, r.e.Status().Breakers); diff != "" {
				t.Fatalf("breakers after two failures (-want +got):\n%s", diff)
			}
			if g := breakerGauges(t, r.reg); g["X"] != 1 || g["P"] != 0 {
				t.Errorf("breaker gauges %v, want X open and P closed", g)
			}

			// Open: a move touching X is skipped; one that does not runs.
			r.clock.Advance(10*time.Minute - time.Second)
			open := r.submit("open", mv("c", "X", "R"), mv("d", "S", "T"))
			r.pass()
			if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: CauseBreakerOpen}, r.outcome(open[0])); diff != "" {
				t.Fatalf("move touching an open breaker's host (-want +got):\n%s", diff)
			}
			if got := r.outcome(open[1]); got.State != journal.StateSucceeded {
				t.Errorf("move touching other hosts: %+v", got)
			}
			if n := r.fleet.callsOf("vm-c"); n != 0 {
				t.Errorf("vm-c migrated %d times through an open breaker", n)
			}

			// Half-open: one trial runs, the other move touching X waits.
			r.clock.Advance(time.Second)
			if !trialOK {
				r.fleet.set(func(f *fakeFleet) { f.fail["vm-e"] = boom })
			}
			gate := r.fleet.gated()
			half := r.submit("half", mv("e", "X", "U"), mv("g", "R", "X"))
			ctx := context.Background()
			r.e.step(ctx, ctx)
			if n := len(r.e.Status().InFlight); n != 1 {
				t.Fatalf("%d moves started once the breaker is half-open, want one trial", n)
			}
			trial := recv(t, gate, "the trial starts")
			if trial.m.VM != "vm-e" {
				t.Fatalf("trial move is %s, want vm-e", trial.m.VM)
			}
			st2 := r.e.Status()
			if len(st2.InFlight) != 1 || len(st2.Queued) != 1 || st2.Queued[0].MoveID != half[1] {
				t.Errorf("during the trial: in flight %+v, queued %+v; want the trial running and the other waiting", st2.InFlight, st2.Queued)
			}
			r.e.step(ctx, ctx) // still waits for the trial's outcome
			if n := len(r.e.Status().Queued); n != 1 {
				t.Errorf("%d queued while the trial runs, want 1", n)
			}
			for _, b := range st2.Breakers {
				if b.Host == "X" && b.State != breakerHalfOpen {
					t.Errorf("X is %s during the trial, want half-open", b.State)
				}
			}
			trial.done <- nil
			r.until("the trial ends", func() bool { return len(r.e.Status().InFlight) == 0 })

			if trialOK {
				if got := r.outcome(half[0]); got.State != journal.StateSucceeded {
					t.Fatalf("trial: %+v", got)
				}
				for _, b := range r.e.Status().Breakers {
					if b.Host == "X" || b.Host == "U" {
						t.Errorf("breaker of %s after a successful trial: %+v", b.Host, b)
					}
				}
				if g := breakerGauges(t, r.reg); g["X"] != 0 {
					t.Errorf("breaker gauge of X is %v after a successful trial", g["X"])
				}
				r.e.step(ctx, ctx)
				if n := len(r.e.Status().InFlight); n != 1 {
					t.Fatalf("%d moves started after a successful trial, want 1", n)
				}
				recv(t, gate, "the waiting move starts").done <- nil
				r.e.wg.Wait()
				if got := r.outcome(half[1]); got.State != journal.StateSucceeded {
					t.Errorf("move that waited for the trial: %+v", got)
				}
				return
			}
			if got := r.outcome(half[0]); got.State != journal.StateFailed {
				t.Fatalf("trial: %+v", got)
			}
			r.pass()
			if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: CauseBreakerOpen}, r.outcome(half[1])); diff != "" {
				t.Errorf("move after a failed trial (-want +got):\n%s", diff)
			}
			for _, b := range r.e.Status().Breakers {
				if b.Host == "X" && (b.State != breakerOpen || b.Failures != 3 || !b.OpenUntil.Equal(r.clock.Now().Add(10*time.Minute))) {
					t.Errorf("X after a failed trial: %+v", b)
				}
			}
			if n := r.fleet.callsOf("vm-g"); n != 0 {
				t.Errorf("vm-g migrated %d times", n)
			}
		})
	}
}

// drainSignal is a slog handler that closes draining when Run starts
// draining.
type drainSignal struct {
	once     sync.Once
	draining chan struct{}
}

func (h *drainSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *drainSignal) Handle(_ context.Context, rec slog.Record) error {
	if strings.HasPrefix(rec.Message, "draining in-flight migrations") {
		h.once.Do(func() { close(h.draining) })
	}
	return nil
}
func (h *drainSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *drainSignal) WithGroup(string) slog.Handler      { return h }

// TestExecutorDrain proves shutdown: cancelling Run's context does not
// cancel a migration in flight, and Run returns only once it has ended and
// been journaled.
func TestExecutorDrain(t *testing.T) {
	r := newRig(t, Config{DrainTimeout: time.Hour}, nil)
	sig := &drainSignal{draining: make(chan struct{})}
	r.e.log = slog.New(sig)
	r.vms("a@A", "b@A")
	gate := r.fleet.gated()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		err   error
		state journal.State // the move's state when Run returned
	}
	done := make(chan result, 1)
	var ids []string
	var idsMu sync.Mutex
	go func() {
		err := r.e.Run(ctx)
		idsMu.Lock()
		defer idsMu.Unlock()
		en, _ := r.j.Get(ids[0])
		done <- result{err, en.State}
	}()
	idsMu.Lock()
	ids = r.submit("p", mv("a", "A", "B"))
	idsMu.Unlock()
	c := recv(t, gate, "the move starts")
	cancel()
	recv(t, sig.draining, "Run drains")
	// Submitted after the end of ctx: stays queued.
	late := r.submit("late", mv("b", "A", "B"))
	select {
	case res := <-done:
		t.Fatalf("Run returned (%v) with a migration in flight", res.err)
	case c.done <- nil:
	}
	res := recv(t, done, "Run returns")
	if res.err != nil || res.state != journal.StateSucceeded {
		t.Errorf("Run returned %v with the move %s; want nil, succeeded", res.err, res.state)
	}
	if got := r.outcome(late[0]).State; got != journal.StateQueued || r.fleet.callsOf("vm-b") != 0 {
		t.Errorf("a move submitted after shutdown ran: %s", got)
	}
	if st := r.e.Status(); len(st.Queued) != 1 {
		t.Errorf("queued after the drain: %+v, want the late move still queued", st.Queued)
	}
}

// TestExecutorDrainTimeout proves that past DrainTimeout Run cancels the
// calls still running, journals their outcome as unknown (not started),
// returns ErrDrainTimeout, and that the next start reconciles them.
func TestExecutorDrainTimeout(t *testing.T) {
	r := newRig(t, Config{DrainTimeout: 10 * time.Millisecond}, nil)
	r.vms("a@A")
	gate := r.fleet.gated()
	locate := make(chan struct{}) // never released: Run's own locating cannot tell
	r.fleet.set(func(f *fakeFleet) { f.locGate["vm-a"] = locate })
	cancel, done := r.run()
	ids := r.submit("p", mv("a", "A", "B"))
	recv(t, gate, "the move starts") // in flight, never released
	cancel()
	err := recv(t, done, "Run returns")
	if !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Run returned %v, want ErrDrainTimeout", err)
	}
	if got := r.outcome(ids[0]); got.State != journal.StateUnknown || got.Cause != CauseOutcomeUnknown {
		t.Errorf("move cut by the drain timeout: %+v, want unknown", got)
	}
	if !r.e.Blocked("vm-a") {
		t.Error("Blocked(vm-a) is false after the drain timeout")
	}

	r.fleet.set(func(f *fakeFleet) { delete(f.locGate, "vm-a") })
	r.restart()
	if !r.e.Blocked("vm-a") {
		t.Error("after the restart, Blocked(vm-a) is false")
	}
	if err := r.e.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(outcome{journal.StateFailed, CauseInterrupted, true}, r.outcome(ids[0])); diff != "" {
		t.Errorf("reconciled after the restart (-want +got):\n%s", diff)
	}
	if n := r.fleet.callsOf("vm-a"); n != 1 {
		t.Errorf("vm-a migrated %d times, want 1", n)
	}
}

// TestExecutorMetrics proves that the executor's metrics pass the
// Prometheus linter and that the migrations counter counts each result.
func TestExecutorMetrics(t *testing.T) {
	v := &fakeValidator{stale: map[string]string{"vm-s": "stale"}}
	r := newRig(t, Config{Cooldown: time.Hour, MaxConcurrent: 10, PerHostCap: 10, HostLimit: func(string) int { return 10 }}, v)
	r.vms("a@A", "b@A", "f@A", "s@A", "u@A", "w@A")
	r.fleet.set(func(f *fakeFleet) {
		f.fail["vm-f"] = migrationErr("vm-f", hyperv.ErrDoubleHop)
		f.fail["vm-u"] = fmt.Errorf("move vm-u: %w", hyperv.ErrOutcomeUnknown)
		f.lose["vm-u"] = true
		f.fail["vm-w"] = fmt.Errorf("move vm-w: %w", hyperv.ErrOutcomeUnknown) // stays on A
	})
	r.submit("p1", mv("a", "A", "B"), mv("b", "A", "C"), mv("f", "A", "B"), mv("s", "A", "B"), mv("u", "A", "C"), mv("w", "A", "C"))
	r.pass() // 2 succeeded, 1 failed, 1 skipped (stale), 2 unknown
	r.submit("p2", mv("a", "B", "A"))
	r.pass()                                                    // 1 skipped (cooldown)
	if err := r.e.Reconcile(context.Background()); err != nil { // 1 reconciled_succeeded (vm-u), 1 reconciled_failed (vm-w)
		t.Fatal(err)
	}

	problems, err := testutil.CollectAndLint(r.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	want := `
# HELP hvbalancer_executor_migrations_total Moves by result: succeeded, failed, skipped, unknown, and reconciled_* for outcomes learned by locating the VM.
# TYPE hvbalancer_executor_migrations_total counter
hvbalancer_executor_migrations_total{result="failed"} 1
hvbalancer_executor_migrations_total{result="reconciled_failed"} 1
hvbalancer_executor_migrations_total{result="reconciled_skipped"} 0
hvbalancer_executor_migrations_total{result="reconciled_succeeded"} 1
hvbalancer_executor_migrations_total{result="skipped"} 2
hvbalancer_executor_migrations_total{result="succeeded"} 2
hvbalancer_executor_migrations_total{result="unknown"} 2
`
	if err := testutil.GatherAndCompare(r.reg, strings.NewReader(want), "hvbalancer_executor_migrations_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(r.reg, "hvbalancer_executor_migration_duration_seconds"); n != 1 {
		t.Errorf("%d duration histograms", n)
	}
	for _, g := range []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"in flight", r.e.metrics.inFlight, 0},
		{"queue", r.e.metrics.queue, 0},
		{"paused", r.e.metrics.paused, 0},
	} {
		if got := testutil.ToFloat64(g.c); got != g.want {
			t.Errorf("%s gauge %v, want %v", g.name, got, g.want)
		}
	}
}

// sameOutcome compares outcomes; the cause of a success is not compared
// (the journal keeps the cause that made it unknown).
func sameOutcome(want, got outcome) string {
	if want.State == journal.StateSucceeded {
		got.Cause = ""
	}
	return cmp.Diff(want, got)
}

// TestExecutorRunReconcilesLeftovers proves that Run, with no Reconcile
// call, resolves the entries a crash left: at once when the VM is found,
// and by retrying with backoff when the first attempt cannot locate it.
func TestExecutorRunReconcilesLeftovers(t *testing.T) {
	r := newRig(t, Config{ReconcileAttempts: 1 << 20}, nil) // retries every 32ms at most
	r.vms("found@B", "late@B")
	r.fleet.set(func(f *fakeFleet) { f.locErr["vm-late"] = fmt.Errorf("locate: %w", hyperv.ErrUnreachable) })
	now := r.clock.Now()
	for i, m := range []moves.Move{mv("found", "A", "B"), mv("late", "A", "B")} {
		id := fmt.Sprintf("crashed/%d", i)
		if _, _, err := r.j.Intend(journal.Entry{MoveID: id, PlanID: "crashed", VMID: m.VM, VMName: m.VMName, From: m.From, To: m.To, Intent: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.j.Transition(id, journal.StateStarted, now, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	r.restart()
	cancel, done := r.run()
	r.until("the found vm reconciled", func() bool { return r.outcome("crashed/0").State == journal.StateSucceeded })
	// A failed attempt changes nothing to wait on: poll, bounded by hangGuard.
	for deadline := time.Now().Add(hangGuard); ; time.Sleep(time.Millisecond) {
		r.fleet.mu.Lock()
		tried := r.fleet.locates["vm-late"]
		r.fleet.mu.Unlock()
		if tried >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unlocated vm was never tried twice")
		}
	}
	if got := r.outcome("crashed/1"); got.State != journal.StateUnknown || !r.e.Blocked("vm-late") {
		t.Errorf("unlocated vm: %+v, blocked %v; want unknown and blocked", got, r.e.Blocked("vm-late"))
	}
	r.fleet.set(func(f *fakeFleet) { delete(f.locErr, "vm-late") })
	r.until("the late vm reconciled by a retry", func() bool { return r.outcome("crashed/1").State == journal.StateSucceeded })
	if got := r.outcome("crashed/1"); !got.Reconciled {
		t.Errorf("late vm: %+v, want reconciled", got)
	}
	if n := r.fleet.callsOf("vm-found") + r.fleet.callsOf("vm-late"); n != 0 {
		t.Errorf("reconciling called Migrate %d times", n)
	}
	cancel()
	if err := recv(t, done, "run to stop"); err != nil {
		t.Errorf("run: %v", err)
	}
}
