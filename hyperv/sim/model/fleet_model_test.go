package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

const demoFleetPath = "../../../examples/fleets/demo.yaml"

// TestDemoFleetHasHotHosts: the demo's model starts with two hot hosts and
// the rest light, so the balancer has work to do and a clear end.
func TestDemoFleetHasHotHosts(t *testing.T) {
	s, err := fleetfile.LoadFleet(demoFleetPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFleet(s, NewManualClock(s.Start))
	if err != nil {
		t.Fatal(err)
	}
	var hot []string
	for _, name := range f.HostNames() {
		h, _ := f.Host(name)
		if h.CPUPercent > 85 {
			hot = append(hot, name)
		} else if h.CPUPercent > 60 {
			t.Errorf("%s is %.0f%% busy: neither hot nor light", name, h.CPUPercent)
		}
	}
	if diff := cmp.Diff([]string{"HV01", "HV02"}, hot); diff != "" {
		t.Errorf("hot hosts (-want +got):\n%s", diff)
	}
}

func TestGenerateHasAMix(t *testing.T) {
	s := fleetfile.Generate(8, 400, 3)
	f, err := NewFleet(s, NewManualClock(s.Start))
	if err != nil {
		t.Fatal(err)
	}
	lps, hot, clustered, dynamic, off := map[int]bool{}, 0, 0, 0, 0
	profiles := map[string]bool{}
	for _, name := range f.HostNames() {
		h, _ := f.Host(name)
		lps[h.LogicalProcessors] = true
		if h.CPUPercent > 85 {
			hot++
		}
	}
	for _, v := range s.VMs {
		profiles[v.Load.Profile] = true
		if v.Clustered {
			clustered++
		}
		if v.Dynamic {
			dynamic++
		}
		if v.State == "Off" {
			off++
		}
		if v.CPUs < 1 || v.CPUs > 16 || v.MemoryGiB < 1 || v.MemoryGiB > 64 {
			t.Errorf("%s has %d vCPUs and %g GiB", v.Name, v.CPUs, v.MemoryGiB)
		}
	}
	if len(lps) < 2 || hot < 2 || clustered == 0 || dynamic == 0 || off == 0 || len(profiles) != 4 {
		t.Errorf("not mixed enough: LP sizes %v, %d hot hosts, %d clustered, %d dynamic, %d off VMs, profiles %v",
			lps, hot, clustered, dynamic, off, profiles)
	}
}

// FuzzNewFleet: every fleet file that parses builds a model.
func FuzzNewFleet(f *testing.F) {
	files, _ := filepath.Glob("../fleetfile/testdata/*.yaml")
	files = append(files, demoFleetPath, "../../../examples/fleets/storage.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("hosts: [{name: HV01, logical_processors: 4, memory_gib: 8}]\nvms: [{name: a, host: HV01, cpus: 1, memory_gib: 1}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := fleetfile.ParseFleet(data)
		if err != nil {
			return
		}
		fl, err := NewFleet(s, NewManualClock(s.Start))
		if err != nil {
			t.Fatalf("NewFleet of a valid fleet: %v", err)
		}
		// Validation keeps every file on a volume its host reaches and
		// every volume within its size.
		for _, v := range fl.vms {
			if volumeOf(v.host.volumes, v.path) == nil {
				t.Errorf("%s's configuration %s is on no volume of %s", v.spec.Name, v.path, v.host.spec.Name)
			}
			for _, d := range v.disks {
				if d.vol == nil || !reaches(v.host.volumes, d.vol) {
					t.Errorf("%s's disk %s is on no volume of %s", v.spec.Name, d.path, v.host.spec.Name)
				}
			}
		}
		for _, h := range fl.hosts {
			for _, vol := range h.volumes {
				if vol.used > vol.size {
					t.Errorf("%s on %s holds %d bytes of files in %d", vol.path, h.spec.Name, vol.used, vol.size)
				}
			}
		}
	})
}
