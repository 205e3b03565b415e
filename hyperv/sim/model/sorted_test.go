package model

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// TestReadsFollowVMsThatCameAndWent: a host keeps its VMs sorted between
// reads, and a VM that leaves or arrives (here by failover when its node
// crashes) shows in the next read of both hosts, in its place.
func TestReadsFollowVMsThatCameAndWent(t *testing.T) {
	hosts := []fleetfile.HostSpec{
		{Name: "N1", Cluster: "C1", LogicalProcessors: 16, MemoryGiB: 128},
		{Name: "N2", Cluster: "C1", LogicalProcessors: 16, MemoryGiB: 128},
	}
	vms := []fleetfile.VMSpec{
		{Name: "b", Host: "N1", CPUs: 2, MemoryGiB: 2, Clustered: true},
		{Name: "a", Host: "N2", CPUs: 2, MemoryGiB: 2, Clustered: true},
		{Name: "c", Host: "N2", CPUs: 2, MemoryGiB: 2, Clustered: true},
	}
	f, _ := physicsFleet(t, hosts, vms)
	names := func(host string) string {
		var s string
		for _, v := range f.VMs(host) {
			s += v.Name
		}
		return s
	}
	for range 2 { // the second read is from the kept order
		if n1, n2 := names("N1"), names("N2"); n1 != "b" || n2 != "ac" {
			t.Fatalf("before: N1 %q, N2 %q; want b, ac", n1, n2)
		}
	}
	// Two VMs trade places: each host has as many VMs as before.
	f.mu.Lock()
	a, b := f.vms[f.hosts["n2"].sortedVMs()[0].spec.ID], f.hosts["n1"].sortedVMs()[0]
	f.placeLocked(a, f.hosts["n1"])
	f.placeLocked(b, f.hosts["n2"])
	f.mu.Unlock()
	if n1, n2 := names("N1"), names("N2"); n1 != "a" || n2 != "bc" {
		t.Fatalf("after a and b traded hosts: N1 %q, N2 %q; want a, bc", n1, n2)
	}
	f.mu.Lock()
	f.placeLocked(a, f.hosts["n2"])
	f.placeLocked(b, f.hosts["n1"])
	f.mu.Unlock()
	if err := f.Crash("N1"); err != nil {
		t.Fatal(err)
	}
	if n1, n2 := names("N1"), names("N2"); n1 != "" || n2 != "abc" {
		t.Errorf("after N1 crashed: N1 %q, N2 %q; want nothing, abc", n1, n2)
	}
	if st, ok := f.Host("N2"); !ok || len(st.VMIDs) != 3 {
		t.Errorf("N2 lists %d VMs, want 3", len(st.VMIDs))
	}
}

// TestHostAloneIsTheHostOfItsSnapshot: a read of a host alone (Host)
// gives what the host's full computation gives (HostAndVMs) at the same
// moment, loaded, migrating (CPU and inbound memory) or crashed.
func TestHostAloneIsTheHostOfItsSnapshot(t *testing.T) {
	spec := fleetfile.Generate(4, 160, 13)
	clock := NewManualClock(spec.Start)
	f, err := NewFleet(spec, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	compare := func(when string) {
		t.Helper()
		for _, name := range f.HostNames() {
			alone, ok1 := f.Host(name)
			full, _, ok2 := f.HostAndVMs(name)
			if !ok1 || !ok2 {
				t.Fatalf("%s: host %s not found", when, name)
			}
			if d := cmp.Diff(full, alone); d != "" {
				t.Errorf("%s, host %s (-full +alone):\n%s", when, name, d)
			}
		}
	}
	compare("at the start")
	clock.Advance(7 * time.Hour)
	compare("seven hours on")
	src := f.HostNames()[0]
	vms := f.VMs(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := migrateAsync(ctx, f, MigrationRequest{VMID: vms[0].ID, Source: src, Destination: f.HostNames()[1]})
	if err := clock.WaitForWaiters(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.Host(src); st.ActiveMigrations == 0 {
		t.Fatal("no migration running on the source")
	}
	compare("while a VM migrates")
	cancel()
	<-done
	if err := f.Crash(f.HostNames()[2]); err != nil {
		t.Fatal(err)
	}
	compare("after a host crashed")
}
