package model

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

const (
	web01ID = "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b"
	bigID   = "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5c"
	sql01ID = "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5d"
	plainID = "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5e"
	aloneID = "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5f"
)

// rulesFleet has a host for every way a migration can be refused.
func rulesFleet(t *testing.T) (*Fleet, *ManualClock) {
	off := false
	hosts := []fleetfile.HostSpec{
		{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 64},
		{Name: "HV02", LogicalProcessors: 16, MemoryGiB: 64},
		{Name: "HV03", LogicalProcessors: 16, MemoryGiB: 64, Cluster: "CL01"},
		{Name: "HV04", LogicalProcessors: 16, MemoryGiB: 64, Cluster: "CL01"},
		{Name: "HV05", LogicalProcessors: 16, MemoryGiB: 64, MigrationEnabled: &off},
		{Name: "HV06", LogicalProcessors: 16, MemoryGiB: 16},
		{Name: "HV07", LogicalProcessors: 16, MemoryGiB: 64, Faults: fleetfile.Faults{Unreachable: true}},
		{Name: "HV08", LogicalProcessors: 16, MemoryGiB: 64, Faults: fleetfile.Faults{Crashed: true}},
	}
	vms := []fleetfile.VMSpec{
		{ID: web01ID, Name: "web01", Host: "HV01", CPUs: 2, MemoryGiB: 4},
		{ID: bigID, Name: "big", Host: "HV01", CPUs: 2, MemoryGiB: 16},
		{ID: sql01ID, Name: "sql01", Host: "HV03", CPUs: 4, MemoryGiB: 8, Clustered: true},
		{ID: plainID, Name: "plain", Host: "HV03", CPUs: 1, MemoryGiB: 1},
		{ID: aloneID, Name: "alone", Host: "HV05", CPUs: 1, MemoryGiB: 1},
	}
	return physicsFleet(t, hosts, vms)
}

func TestMigrateRefuses(t *testing.T) {
	const web = "Virtual machine migration operation for 'web01' failed at migration source 'HV01'. (Virtual machine ID 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5B)\n"
	tests := []struct {
		name      string
		req       MigrationRequest
		want      MoveError
		wantEntry bool
	}{
		{
			name: "VM not on the source",
			req:  MigrationRequest{VMID: web01ID, Source: "HV02", Destination: "HV03"},
			want: MoveError{
				Message: "Hyper-V was unable to find a virtual machine with ID " + web01ID + ".", Command: "Get-VM",
				Category: "InvalidArgument: (" + web01ID + ":Guid) [Get-VM], VirtualizationException", ErrorID: "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM",
			},
		},
		{
			name: "unknown destination",
			req:  MigrationRequest{VMID: web01ID, Source: "hv01", Destination: "HV99"},
			want: MoveError{
				HResult: 0x8007274D, Command: "Move-VM", Category: categoryMoveVM, ErrorID: errorIDMoveVM,
				Message: web + "Failed to establish a connection with host 'HV99': No connection could be made because the target machine actively refused it. (0x8007274D).",
			},
			wantEntry: true,
		},
		{
			name: "unreachable destination",
			req:  MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "hv07"},
			want: MoveError{
				HResult: 0x8007274D, Command: "Move-VM", Category: categoryMoveVM, ErrorID: errorIDMoveVM,
				Message: web + "Failed to establish a connection with host 'HV07': No connection could be made because the target machine actively refused it. (0x8007274D).",
			},
			wantEntry: true,
		},
		{
			name: "crashed destination",
			req:  MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV08"},
			want: MoveError{
				HResult: 0x8007274D, Command: "Move-VM", Category: categoryMoveVM, ErrorID: errorIDMoveVM,
				Message: web + "Failed to establish a connection with host 'HV08': No connection could be made because the target machine actively refused it. (0x8007274D).",
			},
			wantEntry: true,
		},
		{
			name: "migration disabled on the destination",
			req:  MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV05"},
			want: MoveError{
				HResult: 0x80042001, Command: "Move-VM", Category: categoryMoveVM, ErrorID: errorIDMoveVM,
				Message: "Virtual machine migration operation for 'web01' failed at migration destination 'HV05'. (Virtual machine ID 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5B)\n" +
					"The Virtual Machine Management Service on host 'HV05' is not configured to accept live migrations. (0x80042001)",
			},
			wantEntry: true,
		},
		{
			name: "migration disabled on the source",
			req:  MigrationRequest{VMID: aloneID, Source: "HV05", Destination: "HV01"},
			want: MoveError{
				HResult: 0x80042001, Command: "Move-VM", Category: categoryMoveVM, ErrorID: errorIDMoveVM,
				Message: "Virtual machine migration operation for 'alone' failed at migration source 'HV05'. (Virtual machine ID 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5F)\n" +
					"The Virtual Machine Management Service on host 'HV05' is not configured to accept live migrations. (0x80042001)",
			},
			wantEntry: true,
		},
		{
			name: "destination out of memory",
			req:  MigrationRequest{VMID: bigID, Source: "HV01", Destination: "HV06"},
			want: MoveError{
				HResult: 0x8007000E, Command: "Move-VM", Category: categoryMoveVM, ErrorID: errorIDMoveVM,
				Message: "Virtual machine migration operation for 'big' failed at migration destination 'HV06'. (Virtual machine ID 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5C)\n" +
					"Not enough memory in the system to start the virtual machine big. (Virtual machine ID 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5C)\n" +
					"'big' could not initialize memory: Ran out of memory (0x8007000E). (Virtual machine ID 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5C)",
			},
			wantEntry: true,
		},
		{
			name: "destination is the source",
			req:  MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV01"},
			want: MoveError{
				HResult: 0x80070057, Command: "Move-VM", Category: "InvalidArgument: (:) [Move-VM], VirtualizationException", ErrorID: "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM",
				Message: web + "The destination host 'HV01' is the source host of the virtual machine: The parameter is incorrect. (0x80070057)",
			},
			wantEntry: true,
		},
		{
			name: "clustered VM moved with Move-VM",
			req:  MigrationRequest{VMID: sql01ID, Source: "HV03", Destination: "HV04"},
			want: MoveError{
				HResult: 0x8007139F, Command: "Move-VM", Category: "InvalidOperation: (:) [Move-VM], VirtualizationException", ErrorID: "InvalidOperation,Microsoft.HyperV.PowerShell.Commands.MoveVM",
				Message: "Virtual machine migration operation for 'sql01' failed at migration source 'HV03'. (Virtual machine ID 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5D)\n" +
					"The virtual machine 'sql01' is clustered: move it with Move-ClusterVirtualMachineRole or Failover Cluster Manager. The group or resource is not in the correct state to perform the requested operation. (0x8007139F)",
			},
			wantEntry: true,
		},
		{
			name: "cluster move to a host outside the cluster",
			req:  MigrationRequest{VMID: sql01ID, Source: "HV04", Destination: "HV01", Cluster: true},
			want: MoveError{
				HResult: 0x800713B2, Command: "Move-ClusterVirtualMachineRole", Category: "ObjectNotFound: (:) [Move-ClusterVirtualMachineRole], ClusterCmdletException", ErrorID: errorIDCluster,
				Message: "The node 'HV01' is not a member of cluster 'CL01'. The cluster node was not found. (0x800713B2)",
			},
			wantEntry: true,
		},
		{
			name: "cluster move of a VM that is not clustered",
			req:  MigrationRequest{VMID: plainID, Source: "HV03", Destination: "HV04", Cluster: true},
			want: MoveError{
				HResult: 0x8007138F, Command: "Move-ClusterVirtualMachineRole", Category: "ObjectNotFound: (:) [Move-ClusterVirtualMachineRole], ClusterCmdletException", ErrorID: errorIDCluster,
				Message: "No clustered virtual machine with ID " + plainID + " was found in cluster 'CL01'. The cluster resource could not be found. (0x8007138F)",
			},
		},
		{
			name: "cluster move run on a host in no cluster",
			req:  MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02", Cluster: true},
			want: MoveError{
				HResult: 0x800713BC, Command: "Move-ClusterVirtualMachineRole", Category: "ConnectionError: (:) [Move-ClusterVirtualMachineRole], ClusterCmdletException", ErrorID: errorIDCluster,
				Message: "Host 'HV01' is not a node of a failover cluster. The cluster node is not a member of the cluster. (0x800713BC)",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := rulesFleet(t)
			_, err := f.Migrate(context.Background(), tc.req)
			var me *MoveError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a *MoveError", err)
			}
			if diff := cmp.Diff(tc.want, *me); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			ledger := f.Ledger()
			if !tc.wantEntry {
				if len(ledger) != 0 {
					t.Errorf("ledger = %+v, want no entry", ledger)
				}
				return
			}
			if len(ledger) != 1 || ledger[0].Outcome != OutcomeFailed || ledger[0].HResult != tc.want.HResult || ledger[0].Error != tc.want.Message ||
				!ledger[0].Start.Equal(fleetfile.DefaultStart) || !ledger[0].End.Equal(fleetfile.DefaultStart) {
				t.Errorf("ledger = %+v, want one failed entry", ledger)
			}
		})
	}
}

func TestMigrateUnknownSource(t *testing.T) {
	f, _ := rulesFleet(t)
	_, err := f.Migrate(context.Background(), MigrationRequest{VMID: web01ID, Source: "HV99", Destination: "HV02"})
	if !errors.Is(err, ErrUnknownHost) {
		t.Errorf("err = %v, want ErrUnknownHost", err)
	}
}

// migrateAsync runs Migrate in a goroutine and returns where its result lands.
func migrateAsync(ctx context.Context, f *Fleet, req MigrationRequest) <-chan migrateResult {
	out := make(chan migrateResult, 1)
	go func() {
		v, err := f.Migrate(ctx, req)
		out <- migrateResult{v, err}
	}()
	return out
}

type migrateResult struct {
	vm  VMState
	err error
}

// waitUntil blocks until cond holds, re-checking whenever a migration changes.
func waitUntil(t *testing.T, f *Fleet, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("condition never held")
		}
	}
}

// autoAdvance moves clock forward whenever something waits on it, until the
// test ends.
func autoAdvance(t *testing.T, clock *ManualClock, step time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for clock.WaitForWaiters(ctx, 1) == nil {
			clock.Advance(step)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestMigrateMovesTheVM(t *testing.T) {
	hosts := []fleetfile.HostSpec{
		{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 64, Performance: "TCPIP", BandwidthGbps: 8},
		{Name: "HV02", LogicalProcessors: 8, MemoryGiB: 64, Performance: "SMB"},
	}
	vms := []fleetfile.VMSpec{{ID: web01ID, Name: "web01", Host: "HV01", CPUs: 2, MemoryGiB: 4, DirtyRateMBps: 100, Uptime: fleetfile.Duration(time.Hour), Load: fleetfile.Load{CPU: 0.3}}}
	f, clock := physicsFleet(t, hosts, vms)
	before1, _ := f.Host("HV01")
	before2, _ := f.Host("HV02")
	res := migrateAsync(context.Background(), f, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"})
	if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}

	// Running: both hosts pay 1 LP (TCPIP, the source's option), the destination holds the memory.
	h1, _ := f.Host("HV01")
	h2, _ := f.Host("HV02")
	if d := h1.CPUPercent - before1.CPUPercent; d < 100.0/16-1e-9 || d > 100.0/16+1e-9 || h1.ActiveMigrations != 1 {
		t.Errorf("source CPU went up by %v%%, want 6.25%% (1 of 16 LPs); active %d", d, h1.ActiveMigrations)
	}
	if d := h2.CPUPercent - before2.CPUPercent; d < 100.0/8-1e-9 || d > 100.0/8+1e-9 || h2.ActiveMigrations != 1 {
		t.Errorf("destination CPU went up by %v%%, want 12.5%% (1 of 8 LPs); active %d", d, h2.ActiveMigrations)
	}
	if d := before2.AvailableMBytes - h2.AvailableMBytes; d != 4096 {
		t.Errorf("destination AvailableMBytes fell by %d, want 4096 reserved", d)
	}
	// 4 GiB over 1 GB/s, then what 100 MiB/s dirtied, until under 64 MiB, then the blackout.
	t0 := 4.0 * GiB / 1e9
	t1 := 100 * MiB * t0 / 1e9
	t2 := 100 * MiB * t1 / 1e9
	want := secs(t0+t1+t2) + blackoutPause
	clock.Advance(want/4 + time.Millisecond)
	if v, _ := f.VM(web01ID); v.Status != "Migrating - 25% complete" || v.Host != "HV01" {
		t.Errorf("a quarter through: %s on %s", v.Status, v.Host)
	}
	if e := f.Ledger()[0]; e.Outcome != OutcomeRunning || !e.Start.Equal(fleetfile.DefaultStart) || !e.End.IsZero() {
		t.Errorf("ledger while running: %+v", e)
	}
	clock.Advance(want - want/4 - time.Millisecond - time.Microsecond)
	if e := f.Ledger()[0]; e.Outcome != OutcomeRunning {
		t.Fatalf("ended before the pre-copy model says: %+v", e)
	}
	clock.Advance(2 * time.Microsecond)
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.vm.ID != web01ID || r.vm.Host != "HV02" || r.vm.State != VMRunning || r.vm.Status != StatusNormal || !nearDuration(r.vm.Uptime, time.Hour+want) {
		t.Errorf("moved VM = %+v", r.vm)
	}
	if vms := f.VMs("HV01"); len(vms) != 0 {
		t.Errorf("VM still on the source: %+v", vms)
	}
	e := f.Ledger()[0]
	wantEntry := LedgerEntry{
		Seq: 1, VMID: web01ID, VMName: "web01", Source: "HV01", Destination: "HV02", Queued: fleetfile.DefaultStart, Start: fleetfile.DefaultStart,
		End: fleetfile.DefaultStart.Add(want), Outcome: OutcomeCompleted, Bytes: int64(4*GiB + 100*MiB*t0 + 100*MiB*t1),
	}
	if diff := cmp.Diff(wantEntry, e, cmp.Comparer(func(a, b time.Time) bool { return nearDuration(a.Sub(b), 0) }),
		cmp.Comparer(func(a, b int64) bool { return a-b <= 1 && b-a <= 1 })); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	h1, _ = f.Host("HV01")
	h2, _ = f.Host("HV02")
	if h1.ActiveMigrations != 0 || h2.ActiveMigrations != 0 || h2.AvailableMBytes != before2.AvailableMBytes-4096 {
		t.Errorf("after: source %+v, destination %+v", h1, h2)
	}
}

func TestMigrationDuration(t *testing.T) {
	gib, mib := float64(GiB), float64(MiB)
	tests := []struct {
		name      string
		src, dst  fleetfile.HostSpec
		vm        fleetfile.VMSpec
		want      time.Duration
		wantBytes int64
	}{
		{
			name: "compression doubles the bandwidth",
			src:  fleetfile.HostSpec{Performance: "Compression", BandwidthGbps: 10}, dst: fleetfile.HostSpec{BandwidthGbps: 10},
			vm: fleetfile.VMSpec{MemoryGiB: 10, DirtyRateMBps: 50},
			// 2.5e9 B/s: 10 GiB, then 50 MiB/s × that, then the rest in the blackout.
			want: secs(10*gib/2.5e9+50*mib*(10*gib/2.5e9)/2.5e9+50*mib*(50*mib*(10*gib/2.5e9)/2.5e9)/2.5e9) + blackoutPause,
		},
		{
			name: "the slower end sets the bandwidth",
			src:  fleetfile.HostSpec{Performance: "SMB", BandwidthGbps: 40}, dst: fleetfile.HostSpec{BandwidthGbps: 8},
			vm:   fleetfile.VMSpec{MemoryGiB: 3, State: "Paused"},
			want: secs(3*gib/1.5e9) + blackoutPause, wantBytes: 3 * GiB,
		},
		{
			name: "a copy that cannot converge is forced to end after ten rounds",
			src:  fleetfile.HostSpec{Performance: "TCPIP", BandwidthGbps: 1}, dst: fleetfile.HostSpec{BandwidthGbps: 1},
			vm:   fleetfile.VMSpec{MemoryGiB: 2, DirtyRateMBps: 200},
			want: secs(11*(2*gib/1.25e8)) + blackoutPause, wantBytes: 11 * 2 * GiB,
		},
		{
			name: "an off VM moves its configuration only",
			src:  fleetfile.HostSpec{}, dst: fleetfile.HostSpec{},
			vm:   fleetfile.VMSpec{MemoryGiB: 32, State: "Off"},
			want: quickMoveTime,
		},
		{
			name: "a saved VM moves quickly too",
			src:  fleetfile.HostSpec{}, dst: fleetfile.HostSpec{},
			vm:   fleetfile.VMSpec{MemoryGiB: 32, State: "Saved"},
			want: quickMoveTime,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.src.Name, tc.src.LogicalProcessors, tc.src.MemoryGiB = "HV01", 16, 64
			tc.dst.Name, tc.dst.LogicalProcessors, tc.dst.MemoryGiB = "HV02", 16, 64
			tc.vm.ID, tc.vm.Name, tc.vm.Host, tc.vm.CPUs = web01ID, "web01", "HV01", 2
			f, clock := physicsFleet(t, []fleetfile.HostSpec{tc.src, tc.dst}, []fleetfile.VMSpec{tc.vm})
			res := migrateAsync(context.Background(), f, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"})
			if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			clock.Advance(tc.want - time.Microsecond)
			if e := f.Ledger()[0]; e.Outcome != OutcomeRunning {
				t.Fatalf("ended before %v: %+v", tc.want, e)
			}
			clock.Advance(2 * time.Microsecond)
			if r := <-res; r.err != nil || r.vm.Host != "HV02" {
				t.Fatalf("Migrate = %+v", r)
			}
			e := f.Ledger()[0]
			if got := e.End.Sub(e.Start); !nearDuration(got, tc.want) {
				t.Errorf("took %v, want %v", got, tc.want)
			}
			if tc.wantBytes != 0 && (e.Bytes < tc.wantBytes-1 || e.Bytes > tc.wantBytes+1) {
				t.Errorf("sent %d bytes, want %d", e.Bytes, tc.wantBytes)
			}
		})
	}
}

func TestMigrateTwiceIsBusy(t *testing.T) {
	f, clock := rulesFleet(t)
	first := migrateAsync(context.Background(), f, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"})
	waitUntil(t, f, func() bool { return len(f.Ledger()) == 1 })
	_, err := f.Migrate(context.Background(), MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV06"})
	var me *MoveError
	if !errors.As(err, &me) || me.HResult != fleetfile.HResultBusy {
		t.Fatalf("second move: %v, want 0x800700AA", err)
	}
	autoAdvance(t, clock, time.Hour)
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	if got := outcomes(f.Ledger()); !cmp.Equal(got, []string{OutcomeCompleted, OutcomeFailed}) {
		t.Errorf("outcomes %v", got)
	}
}

func outcomes(entries []LedgerEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Outcome
	}
	return out
}

func TestClusterMove(t *testing.T) {
	f, clock := rulesFleet(t)
	autoAdvance(t, clock, time.Hour)
	// The owner node already: the cmdlet has nothing to do.
	v, err := f.Migrate(context.Background(), MigrationRequest{VMID: sql01ID, Source: "HV04", Destination: "HV03", Cluster: true})
	if err != nil || v.Host != "HV03" || len(f.Ledger()) != 0 {
		t.Fatalf("move to the owner: %+v, %v, ledger %+v", v, err, f.Ledger())
	}
	// Run from the other node, as the cluster cmdlet may be.
	v, err = f.Migrate(context.Background(), MigrationRequest{VMID: strings.ToUpper(sql01ID), Source: "HV04", Destination: "hv04", Cluster: true})
	if err != nil || v.Host != "HV04" || v.ID != sql01ID || !v.Clustered {
		t.Fatalf("cluster move: %+v, %v", v, err)
	}
	if e := f.Ledger()[0]; !e.Cluster || e.Source != "HV03" || e.Destination != "HV04" || e.Outcome != OutcomeCompleted {
		t.Errorf("ledger: %+v", e)
	}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// nearDuration allows for float rounding in the model's arithmetic.
func nearDuration(a, b time.Duration) bool { return a-b <= time.Microsecond && b-a <= time.Microsecond }
