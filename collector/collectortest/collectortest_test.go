package collectortest_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

func TestSnapshot(t *testing.T) {
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV02", LPs: 16, MemoryGiB: 64, VMs: []collectortest.VMSpec{
			{CPUs: 4, CPU: 2, MemoryGiB: 8, Notes: "role=sql"},
			{State: "Off", CPU: 3, MemoryGiB: 16},
		}},
		collectortest.HostSpec{Name: "HV01", CPU: 90, Memory: 50, Health: collector.HealthStale},
	)
	type hostView struct {
		Name        string
		Health      collector.Health
		CPU, Memory collector.Stat
		HasReason   bool
	}
	var hosts []hostView
	for _, h := range s.Hosts {
		hosts = append(hosts, hostView{h.Name, h.Health, h.CPU, h.Memory, h.Reason != ""})
	}
	want := []hostView{
		{"HV01", collector.HealthStale, collectortest.Flat(90), collectortest.Flat(50), true},
		// Derived from the VMs: 2 of 16 cores; 8 of 64 GiB (the Off VM holds none).
		{"HV02", collector.HealthOK, collectortest.Flat(12.5), collectortest.Flat(12.5), false},
	}
	if diff := cmp.Diff(want, hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	type vmView struct {
		ID, Name, Host, State string
		CPU                   float64
		Memory                int64
		Tags                  map[string]string
	}
	var vms []vmView
	for _, v := range s.VMs {
		vms = append(vms, vmView{v.ID, v.Name, v.Host, v.State, v.CPU.Mean, v.MemoryAssigned, v.Tags})
	}
	wantVMs := []vmView{
		{"00000000-0000-4000-8000-000000000001", "vm-1", "HV02", "Running", 2, 8 << 30, map[string]string{"role": "sql"}},
		{"00000000-0000-4000-8000-000000000002", "vm-2", "HV02", "Off", 0, 0, nil},
	}
	if diff := cmp.Diff(wantVMs, vms); diff != "" {
		t.Errorf("vms (-want +got):\n%s", diff)
	}
	if !s.Taken.Equal(collectortest.Taken()) || s.Version != collector.SnapshotVersion {
		t.Errorf("taken %v version %d", s.Taken, s.Version)
	}
}

func TestSnapshotPanicsOnDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("two VMs with one ID did not panic")
		}
	}()
	collectortest.Snapshot(collectortest.HostSpec{Name: "HV01", VMs: []collectortest.VMSpec{{ID: "x"}, {ID: "x"}}})
}

func TestSource(t *testing.T) {
	ctx := context.Background()
	vm := hyperv.VM{ID: "00000000-0000-4000-8000-000000000001", Name: "app", Tags: map[string]string{"role": "app"}}
	src := collectortest.NewSource(hyperv.HostInfo{Name: "HV01", LogicalProcessors: 8}, vm)

	// Results are copies both ways.
	vm.Tags["role"] = "changed"
	got, err := src.VMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Tags["role"] != "app" {
		t.Errorf("the caller's edit reached the source: %v", got[0].Tags)
	}
	got[0].Tags["role"] = "changed"
	if again, _ := src.VMs(ctx); again[0].Tags["role"] != "app" {
		t.Errorf("an edit of a result reached the source: %v", again[0].Tags)
	}

	// Errors per call.
	boom := errors.New("boom")
	src.SetError(collectortest.CallCounters, boom)
	if _, err := src.Counters(ctx, time.Second); !errors.Is(err, boom) {
		t.Errorf("Counters: %v, want boom", err)
	}
	if _, err := src.Host(ctx); err != nil {
		t.Errorf("Host: %v", err)
	}
	src.Fail(nil)
	if _, err := src.Counters(ctx, time.Second); err != nil {
		t.Errorf("Counters after Fail(nil): %v", err)
	}

	// Block holds calls until their context ends or Unblock.
	src.Block()
	dctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := src.Host(dctx); !errors.Is(err, context.Canceled) {
		t.Errorf("blocked Host with a done context: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := src.Host(ctx); done <- err }()
	src.Unblock()
	if err := <-done; err != nil {
		t.Errorf("Host after Unblock: %v", err)
	}

	if n := src.Calls(collectortest.CallHost); n != 3 {
		t.Errorf("Host called %d times, want 3", n)
	}
}

func TestClock(t *testing.T) {
	c := collectortest.NewClock(collectortest.Taken())
	c.Advance(90 * time.Second)
	if got, want := c.Now(), collectortest.Taken().Add(90*time.Second); !got.Equal(want) {
		t.Errorf("Now = %v, want %v", got, want)
	}
}

func TestSnapshotStorageAndCompatibility(t *testing.T) {
	vols := []collector.Volume{{Path: `D:\`, Kind: "local", Size: 4 << 40, Free: 3 << 40}}
	disks := []collector.Disk{{Path: `D:\VMs\a.vhdx`, Kind: "local", FileSize: 40 << 30, Size: 127 << 30}}
	s := collectortest.Snapshot(collectortest.HostSpec{
		Name: "HV01", ProcessorVendor: "GenuineIntel", ProcessorModel: "Intel64 Family 6 Model 106 Stepping 6",
		ConfigVersions: []string{"9.0"}, Switches: []string{"LAN"}, VMPath: `D:\VMs`, VHDPath: `D:\VMs`, Volumes: vols,
		VMs: []collectortest.VMSpec{{ConfigVersion: "9.0", ProcessorCompatibility: true, Switches: []string{"LAN"}, Path: `D:\VMs`, Disks: disks}},
	})
	var buf bytes.Buffer
	if err := s.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := collector.ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h, v := back.Hosts[0], back.VMs[0]
	if h.ProcessorVendor != "GenuineIntel" || h.VHDPath != `D:\VMs` || !cmp.Equal(h.Volumes, vols) || !cmp.Equal(h.Switches, []string{"LAN"}) {
		t.Errorf("host %+v", h)
	}
	if !v.ProcessorCompatibility || v.ConfigVersion != "9.0" || v.Path != `D:\VMs` || !cmp.Equal(v.Disks, disks) {
		t.Errorf("vm %+v", v)
	}
	disks[0].FileSize = 1 // the snapshot holds its own copy
	if s.VMs[0].Disks[0].FileSize != 40<<30 {
		t.Errorf("the snapshot shares the spec's disks")
	}
}
