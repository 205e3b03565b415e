package model

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// busyFleet has four hosts with five VMs each; HV04 runs one migration at a time.
func busyFleet(t *testing.T) (*Fleet, *ManualClock) {
	var hosts []fleetfile.HostSpec
	var vms []fleetfile.VMSpec
	for h := 1; h <= 4; h++ {
		hs := fleetfile.HostSpec{Name: fmt.Sprintf("HV%02d", h), LogicalProcessors: 32, MemoryGiB: 256}
		if h == 4 {
			hs.MaxMigrations = 1
		}
		hosts = append(hosts, hs)
		for i := range 5 {
			vms = append(vms, fleetfile.VMSpec{Name: fmt.Sprintf("vm-%d-%d", h, i), Host: hs.Name, CPUs: 2, MemoryGiB: float64(2 + 2*i), Load: fleetfile.Load{CPU: 0.2}})
		}
	}
	return physicsFleet(t, hosts, vms)
}

func TestConcurrentMigrationsStayWithinEachHostsLimit(t *testing.T) {
	f, clock := busyFleet(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i, v := range f.spec.VMs {
		dst := f.spec.Hosts[(i/5+1+i%3)%4].Name
		wg.Add(1)
		go func() {
			defer wg.Done()
			moved, err := f.Migrate(context.Background(), MigrationRequest{VMID: v.ID, Source: v.Host, Destination: dst})
			if err == nil && (moved.Host != dst || moved.ID != v.ID) {
				err = fmt.Errorf("%s landed on %s, want %s", v.Name, moved.Host, dst)
			}
			errs <- err
		}()
	}
	// Let every request reach the fleet before simulated time moves, so each
	// host has more work than its limit and the limit is what holds it back.
	for deadline := time.Now().Add(30 * time.Second); len(f.Ledger()) < 20; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 20 migrations reached the fleet", len(f.Ledger()))
		}
	}
	autoAdvance(t, clock, 3*time.Second)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	ledger := f.Ledger()
	if len(ledger) != 20 {
		t.Fatalf("%d ledger entries, want 20", len(ledger))
	}
	hosts := f.HostLedger()
	for name, hl := range hosts {
		want := HostLedger{Max: 2, HighWater: 2}
		if name == "HV04" {
			want = HostLedger{Max: 1, HighWater: 1}
		}
		want.Completed = hl.Completed
		if diff := cmp.Diff(want, hl); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		if got := maxOverlap(ledger, name); got > hl.Max {
			t.Errorf("%s ran %d migrations at once, limit %d", name, got, hl.Max)
		}
	}
	// FIFO per host: no migration started before an earlier one touching the same host.
	for _, name := range f.HostNames() {
		var last time.Time
		for _, e := range ledger {
			if e.Source != name && e.Destination != name {
				continue
			}
			if e.Start.Before(last) {
				t.Errorf("%s: #%d started at %v, before an earlier migration started at %v", name, e.Seq, e.Start, last)
			}
			last = e.Start
		}
	}
}

// maxOverlap is the most ledger entries touching host that ran at one time.
func maxOverlap(ledger []LedgerEntry, host string) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, e := range ledger {
		if e.Source == host || e.Destination == host {
			edges = append(edges, edge{e.Start, 1}, edge{e.End, -1})
		}
	}
	sort.Slice(edges, func(i, j int) bool {
		if !edges[i].at.Equal(edges[j].at) {
			return edges[i].at.Before(edges[j].at)
		}
		return edges[i].delta < edges[j].delta // an end frees its slot for a start at the same time
	})
	n, most := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}

func TestQueuedMigrationsStartInOrder(t *testing.T) {
	f, clock := busyFleet(t)
	var results []<-chan migrateResult
	for i := range 3 {
		v := f.spec.VMs[15+i] // on HV04, one migration at a time
		results = append(results, migrateAsync(context.Background(), f, MigrationRequest{VMID: v.ID, Source: "HV04", Destination: "HV01"}))
		waitUntil(t, f, func() bool { return len(f.Ledger()) == i+1 })
	}
	if got := outcomes(f.Ledger()); !cmp.Equal(got, []string{OutcomeRunning, OutcomeQueued, OutcomeQueued}) {
		t.Fatalf("outcomes %v", got)
	}
	for _, v := range f.VMs("HV04")[:3] {
		if v.Status != "Migrating - 0% complete" {
			t.Errorf("%s status %q", v.Name, v.Status)
		}
	}
	autoAdvance(t, clock, time.Hour)
	for _, r := range results {
		if got := <-r; got.err != nil {
			t.Fatal(got.err)
		}
	}
	l := f.Ledger()
	for i := 1; i < 3; i++ {
		if !l[i].Start.Equal(l[i-1].End) || !l[i].Queued.Equal(fleetfile.DefaultStart) {
			t.Errorf("#%d queued %v, started %v; #%d ended %v", l[i].Seq, l[i].Queued, l[i].Start, l[i-1].Seq, l[i-1].End)
		}
	}
}

func TestCancelDoesNotAbortTheMigration(t *testing.T) {
	f, clock := rulesFleet(t)
	ctx, cancel := context.WithCancel(context.Background())
	res := migrateAsync(ctx, f, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"})
	if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if r := <-res; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Migrate = %v, want context.Canceled", r.err)
	}
	if e := f.Ledger()[0]; e.Outcome != OutcomeRunning {
		t.Fatalf("ledger after cancel: %+v", e)
	}
	clock.Advance(time.Hour)
	if err := f.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e := f.Ledger()[0]; e.Outcome != OutcomeCompleted {
		t.Errorf("ledger: %+v", e)
	}
	if v, _ := f.VM(web01ID); v.Host != "HV02" {
		t.Errorf("VM on %s, want HV02", v.Host)
	}
}

func TestMigrateWithADoneContextDoesNothing(t *testing.T) {
	f, _ := rulesFleet(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Migrate(ctx, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if l := f.Ledger(); len(l) != 0 {
		t.Errorf("ledger %+v", l)
	}
}

func TestCloseFailsMigrationsInFlight(t *testing.T) {
	f, clock := rulesFleet(t)
	res := migrateAsync(context.Background(), f, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"})
	if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var me *MoveError
	if r := <-res; !errors.As(r.err, &me) || me.HResult != fleetfile.HResultTimeout {
		t.Errorf("in flight: %v", r.err)
	}
	if _, err := f.Migrate(context.Background(), MigrationRequest{VMID: bigID, Source: "HV01", Destination: "HV02"}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestWaitIdleHonoursItsContext(t *testing.T) {
	f, clock := rulesFleet(t)
	migrateAsync(context.Background(), f, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"})
	if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.WaitIdle(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitIdle = %v", err)
	}
}
