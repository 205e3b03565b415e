package collector_test

import (
	stdcmp "cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestE2EDemoFleet collects the demo fleet served by the simulator over
// WinRM on loopback, through the real client.
func TestE2EDemoFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	fleet, srv, spec, col := servedFleet(t, "../examples/fleets/demo.yaml")
	ctx := context.Background()
	poll := func() *collector.Snapshot {
		t.Helper()
		s, err := col.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	var s *collector.Snapshot
	for range 3 {
		s = poll()
	}

	// Every host ok, with the fleet's capacity and placement facts.
	type hostView struct {
		Name, Cluster, Group string
		Health               collector.Health
		LPs                  int
		Memory               int64
		MaxMigrations        int
		Samples              int
	}
	var wantHosts, gotHosts []hostView
	for _, name := range fleet.HostNames() {
		h, _ := fleet.Host(name)
		wantHosts = append(wantHosts, hostView{h.Name, h.Cluster, h.Group, collector.HealthOK, h.LogicalProcessors, h.MemoryCapacity, h.MaxMigrations, 3})
	}
	for _, h := range s.Hosts {
		gotHosts = append(gotHosts, hostView{h.Name, h.Cluster, h.Group, h.Health, h.LogicalProcessors, h.MemoryBytes, h.MaxMigrations, h.Samples})
	}
	if diff := cmp.Diff(wantHosts, gotHosts); diff != "" {
		t.Errorf("hosts (-fleet +snapshot):\n%s", diff)
	}

	// Every VM of the fleet, on its host, with its state and size.
	wantVMs := map[string]vmView{}
	for _, name := range fleet.HostNames() {
		for _, v := range fleet.VMs(name) {
			wantVMs[v.ID] = vmView{name, v.Name, v.State.String(), v.CPUs}
		}
	}
	for _, v := range s.VMs {
		if v.CPU.Max > float64(v.CPUs)+1e-9 || v.CPU.Mean < 0 {
			t.Errorf("vm %s (%s) uses %v cores of %d", v.ID, v.Name, v.CPU.Max, v.CPUs)
		}
		if v.State != "Running" && v.CPU.Max != 0 {
			t.Errorf("vm %s is %s but uses %v cores", v.Name, v.State, v.CPU.Max)
		}
	}
	if len(wantVMs) != len(spec.VMs) {
		t.Fatalf("fleet reports %d VMs, its file %d", len(wantVMs), len(spec.VMs))
	}
	if diff := cmp.Diff(wantVMs, vmViews(s)); diff != "" {
		t.Errorf("vms (-fleet +snapshot):\n%s", diff)
	}

	// The hot hosts, by the simulator's own figures, have the highest CPU.
	hottest := func(load func(name string) float64) []string {
		names := fleet.HostNames()
		slices.SortFunc(names, func(a, b string) int { return stdcmp.Compare(load(b), load(a)) })
		top := names[:2]
		slices.Sort(top)
		return top
	}
	fleetHot := hottest(func(name string) float64 { h, _ := fleet.Host(name); return h.CPUPercent })
	if diff := cmp.Diff([]string{"HV01", "HV02"}, fleetHot); diff != "" {
		t.Fatalf("the demo fleet's hot hosts changed (-want +fleet):\n%s", diff)
	}
	snapHot := hottest(func(name string) float64 { h, _ := s.Host(name); return h.CPU.Mean })
	if diff := cmp.Diff(fleetHot, snapHot); diff != "" {
		t.Errorf("hottest hosts (-fleet +snapshot):\n%s", diff)
	}

	// The VMs' cores add up to their host's CPU, less the hypervisor's
	// overhead (3 % in the demo fleet), unless the host is saturated.
	for _, h := range s.Hosts {
		var cores float64
		for _, v := range s.VMs {
			if v.Host == h.Name {
				cores += v.CPU.Mean
			}
		}
		if gap := h.CPU.Mean - cores/float64(h.LogicalProcessors)*100; h.CPU.Max < 100 && (gap < 0 || gap > 10) {
			t.Errorf("%s: CPU %.1f%%, its VMs %.2f cores = %.1f%%", h.Name, h.CPU.Mean, cores, cores/float64(h.LogicalProcessors)*100)
		}
	}
	// One host goes away: marked with the reason, its last VMs kept, the
	// others untouched.
	if err := srv.SetFaults("HV03", sim.Faults{Unreachable: true}); err != nil {
		t.Fatal(err)
	}
	s = poll()
	for _, h := range s.Hosts {
		switch {
		case h.Name == "HV03":
			if h.Health != collector.HealthUnreachable || !strings.Contains(h.Reason, "host unreachable") {
				t.Errorf("HV03 is %s (%q), want unreachable with the reason", h.Health, h.Reason)
			}
			if strings.Contains(h.Reason, spec.Credentials.Password) {
				t.Errorf("reason %q holds the password", h.Reason)
			}
			if h.LogicalProcessors == 0 || h.Samples != 3 {
				t.Errorf("HV03 lost its last good data: %d LPs, %d samples", h.LogicalProcessors, h.Samples)
			}
		case h.Health != collector.HealthOK:
			t.Errorf("%s is %s (%s) while only HV03 is down", h.Name, h.Health, h.Reason)
		}
	}
	if diff := cmp.Diff(wantVMs, vmViews(s)); diff != "" {
		t.Errorf("vms with HV03 down (-fleet +snapshot):\n%s", diff)
	}

	// It comes back.
	if err := srv.SetFaults("HV03", sim.Faults{}); err != nil {
		t.Fatal(err)
	}
	s = poll()
	for _, h := range s.Hosts {
		if h.Health != collector.HealthOK {
			t.Errorf("%s is %s (%s) after recovery", h.Name, h.Health, h.Reason)
		}
	}
	if h, _ := s.Host("HV03"); h.Samples != 4 {
		t.Errorf("HV03 has %d samples after recovery, want 4", h.Samples)
	}
}

// vmView is what the end-to-end test compares of a VM.
type vmView struct {
	Host, Name, State string
	CPUs              int
}

func vmViews(s *collector.Snapshot) map[string]vmView {
	out := map[string]vmView{}
	for _, v := range s.VMs {
		out[v.ID] = vmView{v.Host, v.Name, v.State, v.CPUs}
	}
	return out
}
