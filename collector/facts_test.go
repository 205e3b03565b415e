package collector_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// TestPollCopiesStorageAndCompatibility: what the client reads of a
// host's processor, versions, switches, paths and volumes, and of a VM's
// version, processor compatibility, switches, path and disks, reaches the
// snapshot as it was read (kinds as their JSON words), survives a JSON
// round trip, and is not shared with the source's values.
func TestPollCopiesStorageAndCompatibility(t *testing.T) {
	info := hostInfo("HV01", 16, 128)
	info.ProcessorVendor, info.ProcessorModel = "AuthenticAMD", "AMD64 Family 25 Model 1 Stepping 1"
	info.ConfigVersions, info.Switches = []string{"8.0", "9.0"}, []string{"LAN", "Backup"}
	info.VMPath, info.VHDPath = `D:\Hyper-V`, `D:\Hyper-V\Virtual Hard Disks`
	info.Volumes = []hyperv.Volume{
		{Path: `D:\`, Kind: hyperv.StorageLocal, Size: 2 << 40, Free: 1 << 40},
		{Path: `\\fs01\vms`, Kind: hyperv.StorageSMB, Size: 8 << 40, Free: 4 << 40},
	}
	src := collectortest.NewSource(info)
	web := running("bbbbbbbb-0000-4000-8000-000000000001", "web01", 4, 10)
	web.ConfigVersion, web.ProcessorCompatibility, web.Switches, web.Path = "9.0", true, []string{"LAN", ""}, `D:\Hyper-V`
	web.Disks = []hyperv.Disk{
		{Path: `D:\Hyper-V\Virtual Hard Disks\web01.vhdx`, Kind: hyperv.StorageLocal, FileSize: 40 << 30, Size: 128 << 30},
		{Path: `\\fs01\vms\web01-data.vhdx`, Kind: hyperv.StorageSMB, FileSize: 1 << 30, Size: 1 << 40},
	}
	src.SetVMs(web)
	src.SetCounters(counters(40, 16, map[string]float64{"web01": 50}))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Source: src})
	s := f.poll(time.Minute)

	h := host(t, s, "HV01")
	gotHost := collector.Host{ProcessorVendor: h.ProcessorVendor, ProcessorModel: h.ProcessorModel, ConfigVersions: h.ConfigVersions,
		Switches: h.Switches, VMPath: h.VMPath, VHDPath: h.VHDPath, Volumes: h.Volumes}
	wantHost := collector.Host{
		ProcessorVendor: "AuthenticAMD", ProcessorModel: "AMD64 Family 25 Model 1 Stepping 1",
		ConfigVersions: []string{"8.0", "9.0"}, Switches: []string{"LAN", "Backup"},
		VMPath: `D:\Hyper-V`, VHDPath: `D:\Hyper-V\Virtual Hard Disks`,
		Volumes: []collector.Volume{
			{Path: `D:\`, Kind: "local", Size: 2 << 40, Free: 1 << 40},
			{Path: `\\fs01\vms`, Kind: "smb", Size: 8 << 40, Free: 4 << 40},
		},
	}
	if diff := cmp.Diff(wantHost, gotHost); diff != "" {
		t.Errorf("host facts (-want +got):\n%s", diff)
	}
	if len(s.VMs) != 1 {
		t.Fatalf("%d vms", len(s.VMs))
	}
	v := s.VMs[0]
	wantDisks := []collector.Disk{
		{Path: `D:\Hyper-V\Virtual Hard Disks\web01.vhdx`, Kind: "local", FileSize: 40 << 30, Size: 128 << 30},
		{Path: `\\fs01\vms\web01-data.vhdx`, Kind: "smb", FileSize: 1 << 30, Size: 1 << 40},
	}
	if v.ConfigVersion != "9.0" || !v.ProcessorCompatibility || v.Path != `D:\Hyper-V` ||
		!cmp.Equal(v.Switches, []string{"LAN", ""}) || !cmp.Equal(v.Disks, wantDisks) {
		t.Errorf("vm facts: %+v", v)
	}

	// The snapshot owns its copies.
	info.Switches[0], web.Switches[0], web.Disks[0].FileSize = "changed", "changed", 1
	if h.Switches[0] != "LAN" || v.Switches[0] != "LAN" || v.Disks[0].FileSize != 40<<30 {
		t.Error("the snapshot shares slices with the source")
	}

	back, err := collector.ReadSnapshot(jsonReader(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, back); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}
}
