package fleetfile

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

func TestGenerateIsDeterministic(t *testing.T) {
	tests := []struct {
		hosts, vms int
		seed       int64
	}{
		{hosts: 1, vms: 0, seed: 0},
		{hosts: 8, vms: 120, seed: 1},
		{hosts: 40, vms: 1500, seed: -7},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d-%d-%d", tc.hosts, tc.vms, tc.seed), func(t *testing.T) {
			a, b := Generate(tc.hosts, tc.vms, tc.seed), Generate(tc.hosts, tc.vms, tc.seed)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("two runs differ (-first +second):\n%s", diff)
			}
			if len(a.Hosts) != tc.hosts || len(a.VMs) != tc.vms {
				t.Errorf("got %d hosts and %d VMs", len(a.Hosts), len(a.VMs))
			}
			if err := a.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
	if diff := cmp.Diff(Generate(8, 120, 1), Generate(8, 120, 2)); diff == "" {
		t.Error("different seeds give the same fleet")
	}
}

// TestGenerateProperty: any size and seed gives a fleet that survives a
// YAML round trip and whose running VMs fit in memory even at their peak.
func TestGenerateProperty(t *testing.T) {
	maxVMs := 2000
	if testing.Short() {
		maxVMs = 200
	}
	rapid.Check(t, func(t *rapid.T) {
		hosts := rapid.IntRange(1, 64).Draw(t, "hosts")
		vms := rapid.IntRange(0, maxVMs).Draw(t, "vms")
		seed := rapid.Int64().Draw(t, "seed")
		s := Generate(hosts, vms, seed)
		data, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseFleet(data)
		if err != nil {
			t.Fatalf("ParseFleet(Marshal()): %v", err)
		}
		if diff := cmp.Diff(s, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		peak := map[string]float64{}
		for i := range back.VMs {
			if v := &back.VMs[i]; v.State == "Running" || v.State == "Paused" {
				peak[v.Host] += vmPeakGiB(v)
			}
		}
		for _, h := range back.Hosts {
			if peak[h.Name] > h.MemoryGiB-h.ReserveGiB {
				t.Fatalf("%s: running VMs peak at %g GiB, %g GiB free", h.Name, peak[h.Name], h.MemoryGiB-h.ReserveGiB)
			}
		}
	})
}
