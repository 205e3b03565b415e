package collector_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// TestE2EStorageFleet collects the storage example fleet over WinRM on
// loopback through the real client: every host's processor, configuration
// versions, switches, default paths and volumes, and every VM's version,
// processor compatibility, switches, path and disks reach the snapshot as
// the simulated fleet holds them, and the host whose counters carry German
// names is sampled like the others.
func TestE2EStorageFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	fleet, _, _, col := servedFleet(t, "../examples/fleets/storage.yaml")
	var s *collector.Snapshot
	for range 2 {
		var err error
		if s, err = col.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	root := func(p string) string { return strings.ToLower(strings.TrimRight(p, `\`)) }
	for _, name := range fleet.HostNames() {
		want, _ := fleet.Host(name)
		got, ok := s.Host(name)
		if !ok {
			t.Fatalf("host %s missing", name)
		}
		if got.Health != collector.HealthOK || got.Samples != 2 {
			t.Errorf("%s (%s): health %s, %d samples: %s", name, want.Language, got.Health, got.Samples, got.Reason)
		}
		type facts struct {
			Vendor, Model      string
			Versions, Switches []string
			VMPath, VHDPath    string
		}
		if diff := cmp.Diff(facts{want.ProcessorVendor, want.ProcessorModel, want.ConfigVersions, want.Switches, want.VMPath, want.VHDPath},
			facts{got.ProcessorVendor, got.ProcessorModel, got.ConfigVersions, got.Switches, got.VMPath, got.VHDPath}); diff != "" {
			t.Errorf("%s facts (-fleet +snapshot):\n%s", name, diff)
		}
		// Every volume reported is one the fleet has, with its size and
		// free space; every local volume and CSV is reported, and every
		// share the host's VMs or default paths use.
		fleetVols := map[string]collector.Volume{}
		for _, v := range want.Volumes {
			fleetVols[root(v.Path)] = collector.Volume{Path: v.Path, Kind: string(v.Kind), Size: v.Size, Free: v.Free}
		}
		seen := map[string]bool{}
		for _, v := range got.Volumes {
			fv, ok := fleetVols[root(v.Path)]
			if !ok || fv.Kind != v.Kind || fv.Size != v.Size || fv.Free != v.Free {
				t.Errorf("%s reports volume %+v; the fleet has %+v", name, v, fv)
			}
			seen[root(v.Path)] = true
		}
		used := map[string]bool{}
		for _, v := range want.Volumes {
			if v.Kind != "smb" {
				used[root(v.Path)] = true
			}
		}
		for _, v := range fleet.VMs(name) {
			paths := []string{v.Path}
			for _, d := range v.Disks {
				paths = append(paths, d.Path)
			}
			for _, p := range paths {
				if hyperv.StorageKindOf(p) == hyperv.StorageSMB {
					parts := strings.SplitN(strings.TrimPrefix(p, `\\`), `\`, 3)
					used[root(`\\`+parts[0]+`\`+parts[1])] = true
				}
			}
		}
		for p := range used {
			if !seen[p] {
				t.Errorf("%s does not report volume %s", name, p)
			}
		}
		// Its VMs' facts.
		byID := map[string]collector.VM{}
		for _, v := range s.VMs {
			byID[v.ID] = v
		}
		for _, v := range fleet.VMs(name) {
			gv := byID[v.ID]
			var disks []collector.Disk
			for _, d := range v.Disks {
				disks = append(disks, collector.Disk{Path: d.Path, Kind: string(d.Kind), FileSize: d.FileSize, Size: d.Size})
			}
			type vmFacts struct {
				Version  string
				Compat   bool
				Switches []string
				Path     string
				Disks    []collector.Disk
			}
			if diff := cmp.Diff(vmFacts{v.ConfigVersion, v.ProcessorCompatibility, v.Switches, v.Path, disks},
				vmFacts{gv.ConfigVersion, gv.ProcessorCompatibility, gv.Switches, gv.Path, gv.Disks}); diff != "" {
				t.Errorf("vm %s on %s (-fleet +snapshot):\n%s", v.Name, name, diff)
			}
		}
	}
}
