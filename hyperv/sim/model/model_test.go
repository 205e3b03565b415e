package model

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// physicsFleet builds a fleet from hosts and vms on a ManualClock at DefaultStart.
func physicsFleet(t *testing.T, hosts []fleetfile.HostSpec, vms []fleetfile.VMSpec) (*Fleet, *ManualClock) {
	t.Helper()
	clock := NewManualClock(fleetfile.DefaultStart)
	f, err := NewFleet(&fleetfile.FleetSpec{Seed: 11, Hosts: hosts, VMs: vms}, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, clock
}

func TestHostCPUIsVMDemandPlusOverhead(t *testing.T) {
	vms := []fleetfile.VMSpec{
		{Name: "web", Host: "HV01", CPUs: 4, MemoryGiB: 4, Load: fleetfile.Load{Profile: fleetfile.ProfileDiurnal, CPU: 0.4, Amplitude: 0.2}},
		{Name: "sql", Host: "HV01", CPUs: 8, MemoryGiB: 32, Load: fleetfile.Load{CPU: 0.5}},
		{Name: "build", Host: "HV01", CPUs: 2, MemoryGiB: 4, Load: fleetfile.Load{Profile: fleetfile.ProfileBursty, CPU: 0.1, Amplitude: 0.7}},
		{Name: "lab", Host: "HV01", CPUs: 2, MemoryGiB: 2, Load: fleetfile.Load{Profile: fleetfile.ProfileRandomWalk, CPU: 0.3, Amplitude: 0.2}},
		{Name: "parked", Host: "HV01", State: "Off", CPUs: 8, MemoryGiB: 8, Load: fleetfile.Load{CPU: 0.9}},
	}
	f, clock := physicsFleet(t, []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 32, MemoryGiB: 128}}, vms)
	for step := range 12 {
		now := clock.Now()
		var demand float64
		for _, v := range f.spec.VMs {
			if v.State == "Running" {
				demand += cpuDemand(vmKey(11, v.ID), v.Load, now) * float64(v.CPUs)
			}
		}
		h, _ := f.Host("HV01")
		want := (demand + 0.03*32) / 32 * 100
		if math.Abs(h.CPUPercent-want) > 1e-9 {
			t.Errorf("step %d: CPUPercent = %v, want %v", step, h.CPUPercent, want)
		}
		var usage int
		for _, v := range f.VMs("HV01") {
			usage += v.CPUUsage
			var mean float64
			for _, g := range v.GuestRunTime {
				mean += g / float64(len(v.GuestRunTime))
			}
			if math.Abs(mean/100*float64(v.CPUs)/32*100-float64(v.CPUUsage)) > 0.5 {
				t.Errorf("step %d: %s guest run time %v does not match CPUUsage %d", step, v.Name, v.GuestRunTime, v.CPUUsage)
			}
		}
		if math.Abs(float64(usage)+3-h.CPUPercent) > 0.5*4 {
			t.Errorf("step %d: VMs use %d%% + 3%% overhead, host shows %.2f%%", step, usage, h.CPUPercent)
		}
		clock.Advance(97 * time.Minute)
	}
}

func TestHostSharesItsProcessorsFairly(t *testing.T) {
	vms := []fleetfile.VMSpec{
		{Name: "a", Host: "HV01", CPUs: 8, MemoryGiB: 4, Load: fleetfile.Load{CPU: 1}},
		{Name: "b", Host: "HV01", CPUs: 4, MemoryGiB: 4, Load: fleetfile.Load{CPU: 1}},
		{Name: "c", Host: "HV01", CPUs: 4, MemoryGiB: 4, Load: fleetfile.Load{CPU: 0.5}},
	}
	f, clock := physicsFleet(t, []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 8, MemoryGiB: 64, OverheadPercent: 5}}, vms)
	h, _ := f.Host("HV01")
	if h.CPUPercent != 100 {
		t.Errorf("CPUPercent = %v, want 100 (capped)", h.CPUPercent)
	}
	now := clock.Now()
	got := map[string]VMState{}
	var received float64
	for _, v := range f.VMs("HV01") {
		got[v.Name] = v
		for _, g := range v.GuestRunTime {
			received += g / 100
		}
	}
	if math.Abs(received-(8-0.4)) > 1e-6 {
		t.Errorf("VMs receive %v LPs, want the 7.6 left after overhead", received)
	}
	for i, name := range []string{"a", "b", "c"} {
		v := got[name]
		want := cpuDemand(vmKey(11, f.spec.VMs[i].ID), f.spec.VMs[i].Load, now) * float64(v.CPUs)
		if math.Abs(v.CPUDemand-want) > 1e-9 {
			t.Errorf("%s CPUDemand = %v, want %v", name, v.CPUDemand, want)
		}
		var wanted float64
		for k, g := range v.GuestRunTime {
			if g >= 100 || g <= 0 {
				t.Errorf("%s vCPU run time %v: a starved vCPU runs less than all the time", name, g)
			}
			// The counters give the demand back: the wait beyond an idle
			// host's, per second, is the share of time the vCPU waited.
			r := g / 100
			w := (v.WaitPerDispatch[k] - float64(uncontendedWait)) * v.Dispatches[k] / 1e9
			if v.WaitPerDispatch[k] < 60e3 {
				t.Errorf("%s vCPU %d waits %.0f ns per dispatch on a saturated host", name, k, v.WaitPerDispatch[k])
			}
			wanted += r / (1 - w)
		}
		if math.Abs(wanted-v.CPUDemand) > 1e-6 {
			t.Errorf("%s: run/(1-wait) over its vCPUs = %v, want its demand %v", name, wanted, v.CPUDemand)
		}
	}
	// Fair share among ready vCPUs: one that wants half its time is ready
	// less, so it loses less than proportional starvation (ra/2) would take.
	if ra, rc := got["a"].GuestRunTime[0], got["c"].GuestRunTime[0]; rc >= 50 || rc <= ra/2 {
		t.Errorf("a's vCPU runs %.1f%%, c's %.1f%% (wants about 50%%)", ra, rc)
	}
}

func TestUncontendedHostOnlyWaitsForDispatch(t *testing.T) {
	vms := []fleetfile.VMSpec{{Name: "a", Host: "HV01", CPUs: 4, MemoryGiB: 4, Load: fleetfile.Load{CPU: 0.5}}}
	f, _ := physicsFleet(t, []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 64}}, vms)
	v := f.VMs("HV01")[0]
	var run float64
	for k, g := range v.GuestRunTime {
		run += g / 100
		if math.Abs(v.WaitPerDispatch[k]-float64(uncontendedWait)) > 1e-6 {
			t.Errorf("vCPU %d waits %v ns per dispatch, want %v", k, v.WaitPerDispatch[k], float64(uncontendedWait))
		}
		if want := g / 100 / runPerDispatch.Seconds(); math.Abs(v.Dispatches[k]-want) > 1e-6 {
			t.Errorf("vCPU %d: %v dispatches/s, want %v", k, v.Dispatches[k], want)
		}
	}
	if math.Abs(run-v.CPUDemand) > 1e-9 {
		t.Errorf("receives %v LPs, wants %v: nothing to contend for", run, v.CPUDemand)
	}
}

func TestFairShare(t *testing.T) {
	tests := []struct {
		wants []float64
		avail float64
		want  float64
	}{
		{[]float64{0.5, 0.5}, 2, 1},
		{[]float64{1, 1, 1, 1}, 2, 0.5},
		{[]float64{1, 1}, 0, 0},
		{nil, 4, 1},
	}
	for _, tc := range tests {
		if got := fairShare(tc.wants, tc.avail); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("fairShare(%v, %v) = %v, want %v", tc.wants, tc.avail, got, tc.want)
		}
	}
	wants := []float64{1, 0.9, 0.3, 0.05, 0.7, 1}
	s := fairShare(wants, 2.5)
	var got float64
	for _, d := range wants {
		got += ranAt(d, s)
	}
	if math.Abs(got-2.5) > 1e-9 {
		t.Errorf("at share %v the vCPUs receive %v, want 2.5", s, got)
	}
}

func TestMemory(t *testing.T) {
	vms := []fleetfile.VMSpec{
		{Name: "static", Host: "HV01", CPUs: 2, MemoryGiB: 16, Load: fleetfile.Load{Memory: 0.5}},
		{Name: "dynamic", Host: "HV01", CPUs: 2, MemoryGiB: 4, Dynamic: true, MemoryMinGiB: 2, MemoryMaxGiB: 16, Load: fleetfile.Load{Memory: 0.5}},
		{Name: "idle", Host: "HV01", CPUs: 2, MemoryGiB: 4, Dynamic: true, MemoryMinGiB: 2, MemoryMaxGiB: 32, Load: fleetfile.Load{Memory: 0.01}},
		{Name: "off", Host: "HV01", State: "Off", CPUs: 2, MemoryGiB: 8},
		{Name: "saved", Host: "HV01", State: "Saved", CPUs: 2, MemoryGiB: 8},
		{Name: "paused", Host: "HV01", State: "Paused", CPUs: 2, MemoryGiB: 8},
	}
	f, _ := physicsFleet(t, []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 128, ReserveGiB: 8}}, vms)
	got := map[string]VMState{}
	var sum int64
	for _, v := range f.VMs("HV01") {
		got[v.Name] = v
		sum += v.MemoryAssigned
	}
	if v := got["static"]; v.MemoryAssigned != 16*GiB || v.MemoryStartup != 16*GiB || v.MemoryPressure != 0 || !near(v.MemoryDemand, 8*GiB, 0.1) {
		t.Errorf("static VM: %+v", v)
	}
	d := got["dynamic"]
	if !near(d.MemoryDemand, 8*GiB, 0.1) || !near(d.MemoryAssigned, int64(1.2*float64(d.MemoryDemand)), 0.001) || d.MemoryStartup != 4*GiB {
		t.Errorf("dynamic VM: demand %d MiB, assigned %d MiB", d.MemoryDemand/MiB, d.MemoryAssigned/MiB)
	}
	if d.MemoryPressure < 82 || d.MemoryPressure > 85 {
		t.Errorf("dynamic VM pressure = %d, want about 83", d.MemoryPressure)
	}
	if v := got["idle"]; v.MemoryAssigned != 2*GiB {
		t.Errorf("idle dynamic VM assigned %d MiB, want its 2048 MiB minimum", v.MemoryAssigned/MiB)
	}
	for _, name := range []string{"off", "saved"} {
		if v := got[name]; v.MemoryAssigned != 0 || v.MemoryDemand != 0 || v.CPUUsage != 0 || v.Uptime != 0 {
			t.Errorf("%s VM holds resources: %+v", name, v)
		}
	}
	if v := got["paused"]; v.MemoryAssigned != 8*GiB || v.CPUUsage != 0 || v.Uptime == 0 {
		t.Errorf("paused VM: %+v", v)
	}
	h, _ := f.Host("HV01")
	if h.MemoryAssigned != sum || h.MemoryCapacity != 128*GiB || h.MemoryReserve != 8*GiB {
		t.Errorf("host memory: %+v, VMs hold %d", h, sum)
	}
	if want := (120*GiB - sum) / MiB; h.AvailableMBytes != want {
		t.Errorf("AvailableMBytes = %d, want %d", h.AvailableMBytes, want)
	}
}

func TestDynamicMemoryIsSqueezedWhenTheHostRunsOut(t *testing.T) {
	vms := []fleetfile.VMSpec{
		{Name: "static", Host: "HV01", CPUs: 2, MemoryGiB: 20},
		{Name: "hungry", Host: "HV01", CPUs: 2, MemoryGiB: 4, Dynamic: true, MemoryMinGiB: 2, MemoryMaxGiB: 16, Load: fleetfile.Load{Memory: 1}},
	}
	f, _ := physicsFleet(t, []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 8, MemoryGiB: 32}}, vms)
	for _, v := range f.VMs("HV01") {
		if v.Name == "hungry" && (v.MemoryAssigned != 8*GiB || v.MemoryPressure <= 100) {
			t.Errorf("hungry VM assigned %d MiB at pressure %d, want the 8192 MiB left and pressure over 100", v.MemoryAssigned/MiB, v.MemoryPressure)
		}
	}
	if h, _ := f.Host("HV01"); h.AvailableMBytes != 0 {
		t.Errorf("AvailableMBytes = %d, want 0", h.AvailableMBytes)
	}
}

func TestUptime(t *testing.T) {
	vms := []fleetfile.VMSpec{
		{Name: "given", Host: "HV01", CPUs: 1, MemoryGiB: 1, Uptime: fleetfile.Duration(72 * time.Hour)},
		{Name: "derived", Host: "HV01", CPUs: 1, MemoryGiB: 1},
		{Name: "off", Host: "HV01", State: "Off", CPUs: 1, MemoryGiB: 1, Uptime: fleetfile.Duration(time.Hour)},
	}
	f, clock := physicsFleet(t, []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 8, MemoryGiB: 32}}, vms)
	before := f.VMs("HV01")
	clock.Advance(90 * time.Minute)
	after := f.VMs("HV01")
	want := map[string]time.Duration{"given": 72*time.Hour + 90*time.Minute, "off": 0}
	for i, v := range after {
		if w, ok := want[v.Name]; ok && v.Uptime != w {
			t.Errorf("%s uptime = %v, want %v", v.Name, v.Uptime, w)
		}
		if v.Name == "derived" && (before[i].Uptime < time.Hour || v.Uptime-before[i].Uptime != 90*time.Minute) {
			t.Errorf("derived uptime went from %v to %v", before[i].Uptime, v.Uptime)
		}
	}
}

func TestLookups(t *testing.T) {
	vms := []fleetfile.VMSpec{
		{ID: "bbbbbbbb-0000-4000-8000-000000000000", Name: "same", Host: "HV01", CPUs: 1, MemoryGiB: 1},
		{ID: "aaaaaaaa-0000-4000-8000-000000000000", Name: "same", Host: "HV01", CPUs: 1, MemoryGiB: 1},
		{ID: "cccccccc-0000-4000-8000-000000000000", Name: "Alpha", Host: "hv01", CPUs: 1, MemoryGiB: 1},
	}
	f, _ := physicsFleet(t, []fleetfile.HostSpec{{Name: "HV02", LogicalProcessors: 8, MemoryGiB: 32}, {Name: "HV01", LogicalProcessors: 8, MemoryGiB: 32, Cluster: "CL01"}}, vms)
	if diff := cmp.Diff([]string{"HV01", "HV02"}, f.HostNames()); diff != "" {
		t.Errorf("HostNames (-want +got):\n%s", diff)
	}
	var order []string
	for _, v := range f.VMs("hv01") {
		order = append(order, v.Name+" "+v.ID[:8]+" "+v.Host)
	}
	if diff := cmp.Diff([]string{"Alpha cccccccc HV01", "same aaaaaaaa HV01", "same bbbbbbbb HV01"}, order); diff != "" {
		t.Errorf("VMs order (-want +got):\n%s", diff)
	}
	h, ok := f.Host("hV01")
	if !ok || h.Name != "HV01" || h.FQDN != "HV01.lab.example" || h.Cluster != "CL01" || h.AuthType != 1 || h.PerformanceOption != 1 || !h.MigrationEnabled || h.MaxMigrations != 2 {
		t.Errorf("Host(hV01) = %+v, %v", h, ok)
	}
	if diff := cmp.Diff([]string{"cccccccc-0000-4000-8000-000000000000", "aaaaaaaa-0000-4000-8000-000000000000", "bbbbbbbb-0000-4000-8000-000000000000"}, h.VMIDs); diff != "" {
		t.Errorf("VMIDs (-want +got):\n%s", diff)
	}
	if v, ok := f.VM(strings.ToUpper("aaaaaaaa-0000-4000-8000-000000000000")); !ok || v.Host != "HV01" || v.Status != StatusNormal || v.State != VMRunning {
		t.Errorf("VM by upper-case ID = %+v, %v", v, ok)
	}
	if _, ok := f.Host("HV09"); ok {
		t.Error("Host(HV09) found")
	}
	if _, ok := f.VM("dddddddd-0000-4000-8000-000000000000"); ok {
		t.Error("unknown VM found")
	}
	if f.VMs("HV09") != nil {
		t.Error("VMs(HV09) is not nil")
	}
}

func TestNewFleetRejectsAnInvalidSpec(t *testing.T) {
	_, err := NewFleet(&fleetfile.FleetSpec{Hosts: []fleetfile.HostSpec{{Name: "HV01", MemoryGiB: 8}}}, nil)
	if err == nil || err.Error() != "new fleet: hosts[0].logical_processors: must be between 1 and 2048" {
		t.Errorf("err = %v", err)
	}
}

func TestNewFleetDoesNotShareTheSpec(t *testing.T) {
	spec := &fleetfile.FleetSpec{Hosts: []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 8, MemoryGiB: 32, Labels: map[string]string{"rack": "a"}}}}
	f, err := NewFleet(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec.Hosts[0].Labels["rack"] = "b"
	spec.Hosts[0].Name = "HV99"
	if h, ok := f.Host("HV01"); !ok || h.Labels["rack"] != "a" {
		t.Errorf("the fleet changed with its spec: %+v", h)
	}
	if spec.Domain != "" {
		t.Error("NewFleet filled defaults into the caller's spec")
	}
}

func near(got, want int64, rel float64) bool {
	return math.Abs(float64(got-want)) <= rel*float64(want)
}
