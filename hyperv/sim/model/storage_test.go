package model

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// volume returns host's volume at path.
func volume(t *testing.T, f *Fleet, host, path string) Volume {
	t.Helper()
	h, _ := f.Host(host)
	for _, v := range h.Volumes {
		if v.Path == path {
			return v
		}
	}
	t.Fatalf("%s has no volume %s: %+v", host, path, h.Volumes)
	return Volume{}
}

func TestStorageMigrationCopiesTheDisksFirst(t *testing.T) {
	t0 := 4 * GiB / 1e9
	t1 := 50 * MiB * t0 / 1e9
	t2 := 50 * MiB * t1 / 1e9
	tests := []struct {
		name      string
		vm        string
		dir       string
		wantPath  string
		wantDisks []string
		want      time.Duration
		memory    float64 // bytes
	}{
		{
			// 100 GiB of disks over 1 GB/s (8 Gbps, TCPIP), then 4 GiB of a
			// paused VM's memory in one round, then the blackout.
			name: "a paused VM into a folder", vm: localID, dir: `D:\VMs\local01`,
			wantPath:  `D:\VMs\local01`,
			wantDisks: []string{`D:\VMs\local01\local01.vhdx`, `D:\VMs\local01\local01_1.vhdx`},
			want:      secs(100*GiB/1e9) + secs(4*GiB/1e9) + blackoutPause, memory: 4 * GiB,
		},
		{
			name: "the same paths when no folder is given", vm: localID,
			wantPath:  `D:\Hyper-V`,
			wantDisks: []string{`D:\Hyper-V\Virtual Hard Disks\local01.vhdx`, `D:\Hyper-V\Virtual Hard Disks\local01_1.vhdx`},
			want:      secs(100*GiB/1e9) + secs(4*GiB/1e9) + blackoutPause, memory: 4 * GiB,
		},
		{
			// From the share onto the destination's own volume: 40 GiB.
			name: "a VM on a share onto local storage", vm: sharedID, dir: `D:\VMs\shared01`,
			wantPath:  `D:\VMs\shared01`,
			wantDisks: []string{`D:\VMs\shared01\shared01.vhdx`},
			// A running VM: its memory, then what 50 MiB/s dirtied meanwhile, twice.
			want:   secs(40*GiB/1e9) + secs(t0+t1+t2) + blackoutPause,
			memory: 4*GiB + 50*MiB*t0 + 50*MiB*t1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, clock := storageFleet(t)
			before, _ := f.VM(tc.vm)
			var size int64
			for _, d := range before.Disks {
				size += d.FileSize
			}
			srcVol := volume(t, f, "HV01", `D:\`)
			dstVol := volume(t, f, "HV02", `D:\`)
			shareVol := volume(t, f, "HV01", share)
			req := MigrationRequest{VMID: tc.vm, Source: "HV01", Destination: "HV02", IncludeStorage: true, DestinationStoragePath: tc.dir}
			res := migrateAsync(context.Background(), f, req)
			if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			if got := volume(t, f, "HV02", `D:\`).Free; got != dstVol.Free-size {
				t.Errorf("destination free while copying = %d, want %d (the copy's room held)", got, dstVol.Free-size)
			}
			clock.Advance(tc.want - time.Microsecond)
			if e := f.Ledger()[0]; e.Outcome != OutcomeRunning {
				t.Fatalf("ended before %v: %+v", tc.want, e)
			}
			clock.Advance(2 * time.Microsecond)
			if e := f.Ledger()[0]; e.Outcome == OutcomeRunning {
				t.Fatalf("still running after %v: %+v", tc.want, e)
			}
			r := <-res
			if r.err != nil {
				t.Fatal(r.err)
			}
			var paths []string
			for _, d := range r.vm.Disks {
				paths = append(paths, d.Path)
				if d.Kind != StorageLocal {
					t.Errorf("disk %s is %s, want local", d.Path, d.Kind)
				}
			}
			if r.vm.Host != "HV02" || r.vm.Path != tc.wantPath || !cmp.Equal(paths, tc.wantDisks) {
				t.Errorf("moved VM on %s at %s with disks %v, want HV02, %s, %v", r.vm.Host, r.vm.Path, paths, tc.wantPath, tc.wantDisks)
			}
			e := f.Ledger()[0]
			if got := e.End.Sub(e.Start); !nearDuration(got, tc.want) || e.StorageBytes != size || e.Bytes < int64(tc.memory)-1 || e.Bytes > int64(tc.memory)+1 {
				t.Errorf("ledger: took %v, %d storage and %d memory bytes; want %v, %d and %.0f", got, e.StorageBytes, e.Bytes, tc.want, size, tc.memory)
			}
			if got := volume(t, f, "HV02", `D:\`).Free; got != dstVol.Free-size {
				t.Errorf("destination free after = %d, want %d", got, dstVol.Free-size)
			}
			wantSrc, wantShare := srcVol.Free, shareVol.Free
			if tc.vm == sharedID {
				wantShare += size
			} else {
				wantSrc += size
			}
			if got := volume(t, f, "HV01", `D:\`).Free; got != wantSrc {
				t.Errorf("source D:\\ free after = %d, want %d", got, wantSrc)
			}
			if got := volume(t, f, "HV02", share).Free; got != wantShare {
				t.Errorf("share free after = %d, want %d", got, wantShare)
			}
		})
	}
}

func TestStorageMigrationOfAnOffVM(t *testing.T) {
	f, clock := storageFleet(t)
	autoAdvance(t, clock, time.Second)
	start := clock.Now()
	// 150 GiB does not fit HV02's D:\; HV03's default 4096 GiB D:\ takes it.
	v, err := f.Migrate(context.Background(), MigrationRequest{VMID: bigVHDID, Source: "HV01", Destination: "HV03", IncludeStorage: true, DestinationStoragePath: `D:\Hyper-V\bigvhd`})
	if err != nil {
		t.Fatal(err)
	}
	e := f.Ledger()[0]
	// HV03 has the default 10 Gbps and Compression; the slower end, HV01, sets 8 Gbps × its TCPIP factor 1.
	want := secs(150*GiB/1e9) + quickMoveTime
	if got := e.End.Sub(e.Start); !nearDuration(got, want) || !e.Start.Equal(start) || e.Bytes != 0 || e.StorageBytes != 150*GiB {
		t.Errorf("ledger = %+v, took %v; want %v, 150 GiB of storage and no memory", e, got, want)
	}
	if v.Host != "HV03" || v.Path != `D:\Hyper-V\bigvhd` || v.Disks[0].Path != `D:\Hyper-V\bigvhd\bigvhd.vhdx` {
		t.Errorf("moved VM = %+v", v)
	}
}

func TestQueuedStorageMigrationsShareTheRoom(t *testing.T) {
	f, clock := storageFleet(t)
	// HV02's D:\ holds 100 GiB: local01's 100 GiB fit, then nothing else.
	first := migrateAsync(context.Background(), f, MigrationRequest{VMID: localID, Source: "HV01", Destination: "HV02", IncludeStorage: true, DestinationStoragePath: `D:\A`})
	if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	req := MigrationRequest{VMID: sharedID, Source: "HV01", Destination: "HV02", IncludeStorage: true, DestinationStoragePath: `D:\B`}
	report, err := f.Compare(req)
	if err != nil || len(report) != 1 || report[0].Reason != ReasonStorageFull {
		t.Fatalf("Compare while the first copy runs = %+v, %v; want the volume full", report, err)
	}
	_, err = f.Migrate(context.Background(), req)
	var me *MoveError
	if !errors.As(err, &me) || me.Reason != ReasonStorageFull || me.HResult != HResultDiskFull {
		t.Errorf("second move = %v, want refused for a full volume", err)
	}
	autoAdvance(t, clock, time.Second)
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	if got := volume(t, f, "HV02", `D:\`).Free; got != 0 {
		t.Errorf("HV02 D:\\ free = %d, want 0", got)
	}
}

func TestSharedStorageMovesMemoryOnly(t *testing.T) {
	f, clock := storageFleet(t)
	autoAdvance(t, clock, time.Second)
	before := volume(t, f, "HV02", share)
	v, err := f.Migrate(context.Background(), MigrationRequest{VMID: sharedID, Source: "HV01", Destination: "HV02"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Host != "HV02" || v.Path != share+`\shared01` || v.Disks[0].Path != share+`\shared01\shared01.vhdx` || v.Disks[0].Kind != StorageSMB {
		t.Errorf("moved VM = %+v", v)
	}
	if e := f.Ledger()[0]; e.StorageBytes != 0 || e.Bytes == 0 {
		t.Errorf("ledger = %+v, want memory only", e)
	}
	if after := volume(t, f, "HV02", share); after != before {
		t.Errorf("share %+v after, %+v before", after, before)
	}
}

func TestStorageOfAFleetFileThatSaysNone(t *testing.T) {
	f, _ := physicsFleet(t, []fleetfile.HostSpec{
		{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 64},
		{Name: "HV02", LogicalProcessors: 16, MemoryGiB: 64, Cluster: "CL01"},
	}, []fleetfile.VMSpec{
		{ID: web01ID, Name: "web01", Host: "HV01", CPUs: 2, MemoryGiB: 4},
		{ID: sql01ID, Name: "sql01", Host: "HV02", CPUs: 2, MemoryGiB: 4, Clustered: true},
	})
	h, _ := f.Host("HV02")
	implicit := `\\fs01.lab.example\vms`
	want := HostState{
		ProcessorVendor: "GenuineIntel", ProcessorModel: "Intel64 Family 6 Model 106 Stepping 6",
		ConfigVersions: []string{"8.0", "8.1", "8.2", "8.3", "9.0", "9.1", "9.2", "9.3", "10.0"}, Switches: []string{"LAN"},
		Language: "en-US", VMPath: `D:\Hyper-V`, VHDPath: `D:\Hyper-V\Virtual Hard Disks`,
		Volumes: []Volume{
			{Path: `C:\`, Kind: StorageLocal, Size: 127 * GiB, Free: 127 * GiB},
			{Path: `D:\`, Kind: StorageLocal, Size: 4096 * GiB, Free: 4096 * GiB},
			{Path: implicit, Kind: StorageSMB, Size: 16384 * GiB, Free: 16344 * GiB},
			{Path: `C:\ClusterStorage\Volume1`, Kind: StorageCSV, Size: 4096 * GiB, Free: 4056 * GiB},
		},
	}
	got := HostState{ProcessorVendor: h.ProcessorVendor, ProcessorModel: h.ProcessorModel, ConfigVersions: h.ConfigVersions,
		Switches: h.Switches, Language: h.Language, VMPath: h.VMPath, VHDPath: h.VHDPath, Volumes: h.Volumes}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HV02 (-want +got):\n%s", diff)
	}
	web, _ := f.VM(web01ID)
	sql, _ := f.VM(sql01ID)
	wantWeb := []Disk{{Path: implicit + `\web01\web01.vhdx`, Kind: StorageSMB, FileSize: 40 * GiB, Size: 127 * GiB}}
	wantSQL := []Disk{{Path: `C:\ClusterStorage\Volume1\sql01\sql01.vhdx`, Kind: StorageCSV, FileSize: 40 * GiB, Size: 127 * GiB}}
	if !cmp.Equal(web.Disks, wantWeb) || web.Path != implicit+`\web01` || web.ConfigVersion != "9.0" || !cmp.Equal(web.Switches, []string{"LAN"}) {
		t.Errorf("web01 = %+v", web)
	}
	if !cmp.Equal(sql.Disks, wantSQL) || sql.Path != `C:\ClusterStorage\Volume1\sql01` {
		t.Errorf("sql01 = %+v", sql)
	}
	if report, err := f.Compare(MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"}); err != nil || len(report) != 0 {
		t.Errorf("Compare of a memory-only move = %+v, %v, want an empty report", report, err)
	}
}

func TestAStorageMigrationThatFailsMidCopyKeepsTheFiles(t *testing.T) {
	f, clock := storageFleet(t)
	before, _ := f.VM(localID)
	srcFree, dstFree := volume(t, f, "HV01", `D:\`).Free, volume(t, f, "HV02", `D:\`).Free
	res := migrateAsync(context.Background(), f, MigrationRequest{VMID: localID, Source: "HV01", Destination: "HV02", IncludeStorage: true, DestinationStoragePath: `D:\VMs\local01`})
	if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	// A quarter of the 100 GiB copy (107.4 s at 1 GB/s), then the destination crashes.
	clock.Advance(secs(25 * GiB / 1e9))
	if err := f.Crash("HV02"); err != nil {
		t.Fatal(err)
	}
	r := <-res
	var me *MoveError
	if !errors.As(r.err, &me) || me.HResult != fleetfile.HResultTimeout {
		t.Fatalf("Migrate = %v, want the copy timed out", r.err)
	}
	e := f.Ledger()[0]
	if e.StorageBytes < 25*GiB-1 || e.StorageBytes > 25*GiB+1 || e.Bytes != 0 {
		t.Errorf("ledger sent %d storage and %d memory bytes, want a quarter of the disks and no memory", e.StorageBytes, e.Bytes)
	}
	after, _ := f.VM(localID)
	if after.Host != "HV01" || after.Path != before.Path || !cmp.Equal(after.Disks, before.Disks) {
		t.Errorf("VM after the failed copy = %+v, want it where it was", after)
	}
	if got := volume(t, f, "HV01", `D:\`).Free; got != srcFree {
		t.Errorf("source free = %d, want %d", got, srcFree)
	}
	if got := volume(t, f, "HV02", `D:\`).Free; got != dstFree {
		t.Errorf("destination free = %d, want %d: the copy's room given back", got, dstFree)
	}
}
