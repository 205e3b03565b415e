package executor

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// fakeMigration is one Migrate call held at a gate.
type fakeMigration struct {
	m    moves.Move
	done chan error // the call returns what is sent
}

// fakeFleet is a Migrator over an in-memory fleet. It counts migrations in
// flight overall and per host, and can hold each call at a gate, fail it,
// or lose its outcome.
type fakeFleet struct {
	mu        sync.Mutex
	where     map[string]string                   // vm id -> host
	migrating map[string]bool                     // vm id -> its status says migrating
	fail      map[string]error                    // vm id -> Migrate's error (the VM stays unless lose)
	lose      map[string]bool                     // vm id -> the VM moves but Migrate returns fail[vm]
	stay      map[string]bool                     // vm id -> Migrate succeeds but the VM stays
	locErr    map[string]error                    // vm id -> Locate's error
	report    map[string][]hyperv.Incompatibility // vm id -> Compare's report
	cmpErr    map[string]error                    // vm id -> Compare's error
	compares  []moves.Move                        // every Compare call, in order
	moved     []moves.Move                        // every Migrate call, in order
	calls     map[string]int                      // vm id -> Migrate calls
	locates   map[string]int                      // vm id -> Locate calls
	gate      chan *fakeMigration
	locGate   map[string]chan struct{} // vm id -> Locate waits for a receive

	inFlight, maxInFlight int
	hostBusy, maxHostBusy map[string]int
}

var _ Migrator = (*fakeFleet)(nil)

func newFakeFleet() *fakeFleet {
	return &fakeFleet{
		where: map[string]string{}, migrating: map[string]bool{}, fail: map[string]error{}, lose: map[string]bool{},
		stay: map[string]bool{}, locErr: map[string]error{}, calls: map[string]int{}, locates: map[string]int{},
		report: map[string][]hyperv.Incompatibility{}, cmpErr: map[string]error{},
		locGate: map[string]chan struct{}{}, hostBusy: map[string]int{}, maxHostBusy: map[string]int{},
	}
}

// gated makes every Migrate call wait at the returned channel.
func (f *fakeFleet) gated() chan *fakeMigration {
	f.gate = make(chan *fakeMigration)
	return f.gate
}

func (f *fakeFleet) Migrate(ctx context.Context, m moves.Move) error {
	f.mu.Lock()
	f.calls[m.VM]++
	f.moved = append(f.moved, m)
	if f.where[m.VM] != m.From {
		f.mu.Unlock()
		return fmt.Errorf("fake: vm %s is not on %s", m.VM, m.From)
	}
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	for _, h := range []string{m.From, m.To} {
		f.hostBusy[h]++
		f.maxHostBusy[h] = max(f.maxHostBusy[h], f.hostBusy[h])
	}
	gate := f.gate
	f.mu.Unlock()
	var err error
	if gate != nil {
		c := &fakeMigration{m: m, done: make(chan error)}
		select {
		case gate <- c:
			select {
			case err = <-c.done:
			case <-ctx.Done():
				err = fmt.Errorf("fake: move %s: %w", m.VM, ctx.Err())
			}
		case <-ctx.Done():
			err = fmt.Errorf("fake: move %s: %w", m.VM, ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
	f.hostBusy[m.From]--
	f.hostBusy[m.To]--
	if err == nil {
		err = f.fail[m.VM]
	}
	if (err == nil || f.lose[m.VM]) && !f.stay[m.VM] {
		f.where[m.VM] = m.To
	}
	return err
}

func (f *fakeFleet) Compare(ctx context.Context, m moves.Move) ([]hyperv.Incompatibility, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.compares = append(f.compares, m)
	if err := f.cmpErr[m.VM]; err != nil {
		return nil, err
	}
	if f.where[m.VM] != m.From {
		return nil, fmt.Errorf("fake: compare %s: %w", m.VM, hyperv.ErrVMNotFound)
	}
	return f.report[m.VM], ctx.Err()
}

func (f *fakeFleet) Locate(ctx context.Context, vmID string, _ ...string) (Location, error) {
	f.mu.Lock()
	f.locates[vmID]++
	g := f.locGate[vmID]
	f.mu.Unlock()
	if g != nil {
		select {
		case <-g:
		case <-ctx.Done():
			return Location{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.locErr[vmID]; err != nil {
		return Location{}, err
	}
	h, ok := f.where[vmID]
	if !ok {
		return Location{}, fmt.Errorf("fake: locate %s: %w", vmID, ErrVMLost)
	}
	return Location{Host: h, Running: true, Migrating: f.migrating[vmID], State: "Running"}, nil
}

func (f *fakeFleet) set(fn func(f *fakeFleet)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeFleet) callsOf(vm string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[vm]
}

// fakeValidator refuses the VMs in stale.
type fakeValidator struct {
	mu      sync.Mutex
	stale   map[string]string // vm id -> why
	seen    []string
	earlier map[string][]string // vm id -> the VMs of the earlier moves it was given
}

func (v *fakeValidator) Validate(_ context.Context, m moves.Move, earlier []moves.Move) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen = append(v.seen, m.VM)
	if v.earlier == nil {
		v.earlier = map[string][]string{}
	}
	v.earlier[m.VM] = []string{}
	for _, e := range earlier {
		v.earlier[m.VM] = append(v.earlier[m.VM], e.VM)
	}
	if why, ok := v.stale[m.VM]; ok {
		return fmt.Errorf("%w: %s", ErrStale, why)
	}
	return nil
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// rig is an executor over a fake fleet, a real journal and a fake clock.
type rig struct {
	t      *testing.T
	e      *Executor
	fleet  *fakeFleet
	j      *journal.Journal
	path   string
	clock  *fakeClock
	reg    *prometheus.Registry
	mu     sync.Mutex
	events []Event
	hook   func(Event) // called with each event after it is recorded, if set
}

// newRig makes a rig. Unset limits are generous: a token bucket that never
// runs dry and no cooldown or hold to speak of, so each test turns on only
// what it proves.
func newRig(t *testing.T, cfg Config, v Validator) *rig {
	t.Helper()
	r := &rig{t: t, fleet: newFakeFleet(), clock: newFakeClock(), path: filepath.Join(t.TempDir(), "journal.db")}
	var err error
	if r.j, err = journal.Open(r.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.j.Close() })
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Burst = rate.Inf, 1
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = time.Nanosecond
	}
	if cfg.HoldAfterFailure == 0 {
		cfg.HoldAfterFailure = time.Nanosecond
	}
	if cfg.BreakerThreshold == 0 {
		cfg.BreakerThreshold = 1000
	}
	cfg.ReconcileBackoff = time.Millisecond
	cfg.Now = r.clock.Now
	cfg.OnEvent = func(ev Event) {
		r.mu.Lock()
		r.events = append(r.events, ev)
		hook := r.hook
		r.mu.Unlock()
		if hook != nil {
			hook(ev)
		}
	}
	r.reg = prometheus.NewRegistry()
	if r.e, err = New(cfg, r.fleet, v, r.j, nil, r.reg); err != nil {
		t.Fatal(err)
	}
	return r
}

// vms places VMs "vm-<name>" on hosts: "a@H1" puts vm-a on H1.
func (r *rig) vms(specs ...string) {
	r.fleet.set(func(f *fakeFleet) {
		for _, s := range specs {
			name, host, _ := strings.Cut(s, "@")
			f.where["vm-"+name] = host
		}
	})
}

// mv is a move of vm-name.
func mv(name, from, to string) moves.Move {
	return moves.Move{VM: "vm-" + name, VMName: name, From: from, To: to, Trigger: moves.TriggerBalance, Bytes: 1 << 30}
}

// submit queues moves and returns their ids.
func (r *rig) submit(plan string, moves ...moves.Move) []string {
	r.t.Helper()
	ids, err := r.e.Submit(plan, moves)
	if err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// pass makes one scheduling pass without Run and waits until the moves it
// started have ended.
func (r *rig) pass() {
	ctx := context.Background()
	r.e.step(ctx, ctx)
	r.e.wg.Wait()
}

// entry returns a move's journal entry.
func (r *rig) entry(id string) journal.Entry {
	r.t.Helper()
	en, err := r.j.Get(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return en
}

// outcome is the part of an entry that tests compare.
type outcome struct {
	State      journal.State
	Cause      string
	Reconciled bool
}

func (r *rig) outcome(id string) outcome {
	r.t.Helper()
	en, err := r.j.Get(id)
	if err != nil {
		return outcome{State: "none"}
	}
	return outcome{en.State, en.Cause, en.Reconciled}
}

// until waits, without a clock, until cond holds after some state change
// of the executor.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard, not a timing assertion
	defer cancel()
	for {
		r.e.mu.Lock()
		ch := r.e.changed
		r.e.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			r.t.Fatalf("never happened: %s", what)
		}
	}
}

func (r *rig) kinds(moveID string) []EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []EventKind
	for _, ev := range r.events {
		if ev.MoveID == moveID {
			out = append(out, ev.Kind)
		}
	}
	return out
}
