package collector_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

func TestNewRejects(t *testing.T) {
	src := collectortest.NewSource(hostInfo("HV01", 8, 64))
	tests := []struct {
		name    string
		targets []collector.Target
		cfg     collector.Config
		want    string
	}{
		{"no name", []collector.Target{{Source: src}}, collector.Config{},
			"new collector: targets[0]: no name: invalid collector config"},
		{"duplicate", []collector.Target{{Name: "HV01", Source: src}, {Name: "HV01", Source: src}}, collector.Config{},
			`new collector: targets[1]: host "HV01" twice: invalid collector config`},
		{"no source", []collector.Target{{Name: "HV01"}}, collector.Config{},
			`new collector: targets[0]: host "HV01" has no source: invalid collector config`},
		{"negative settings", nil, collector.Config{Window: -time.Second, Concurrency: -1},
			"new collector: window: -1s is negative: invalid collector config\nconcurrency: -1 is negative: invalid collector config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collector.New(tc.targets, tc.cfg, nil, nil)
			if err == nil {
				t.Fatal("New accepted it")
			}
			if !errors.Is(err, collector.ErrInvalidConfig) {
				t.Errorf("error %v does not match ErrInvalidConfig", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestPollSnapshot(t *testing.T) {
	src := collectortest.NewSource(hyperv.HostInfo{Name: "HV01", Cluster: "CL1", LogicalProcessors: 16, MemoryCapacity: 64 * gib, MigrationEnabled: true, MaxMigrations: 4})
	web := running("bbbbbbbb-0000-4000-8000-000000000001", "web01", 4, 10)
	web.Notes, web.Tags = "role=web\ntier=front", map[string]string{"role": "web", "tier": "front"}
	off := hyperv.VM{ID: "aaaaaaaa-0000-4000-8000-000000000002", Name: "old", State: hyperv.VMStateOff, ProcessorCount: 2, MemoryStartup: 2 * gib, Tags: map[string]string{}}
	src.SetVMs(web, off)
	src.SetCounters(counters(40, 16, map[string]float64{"web01": 50}))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Group: "rack-a", Labels: map[string]string{"rack": "a"}, Maintenance: true, Source: src})

	got := f.poll(time.Minute)
	taken := t0.Add(time.Minute)
	want := &collector.Snapshot{
		Version: 1, Taken: taken, WindowSeconds: 300,
		Hosts: []collector.Host{{
			Name: "HV01", Cluster: "CL1", Group: "rack-a", Labels: map[string]string{"rack": "a"},
			Health: collector.HealthOK, LastSeen: taken, Maintenance: true,
			LogicalProcessors: 16, MemoryBytes: 64 * gib, MigrationEnabled: true, MaxMigrations: 4,
			CPU: flat(40), Memory: flat(75), Samples: 1,
		}},
		VMs: []collector.VM{
			{ID: off.ID, Name: "old", Host: "HV01", State: "Off", CPUs: 2, MemoryStartup: 2 * gib, Samples: 1},
			{
				ID: web.ID, Name: "web01", Host: "HV01", State: "Running", CPUs: 4,
				Notes: web.Notes, Tags: map[string]string{"role": "web", "tier": "front"},
				MemoryAssigned: 4 * gib, MemoryStartup: 4 * gib, MemoryDemand: 2 * gib,
				CPU: flat(2), UptimeSeconds: 72 * 3600, Samples: 1,
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	if f.c.Latest() != got {
		t.Error("Latest is not the snapshot Poll returned")
	}
}

func TestVMCPU(t *testing.T) {
	const (
		idA = "00000000-0000-4000-8000-00000000000a"
		idB = "00000000-0000-4000-8000-00000000000b"
	)
	saved := running(idA, "app", 4, 25)
	saved.State = hyperv.VMStateSaved
	noVPs := hyperv.Counters{HostCPUPercent: 50, AvailableMemory: 128 * gib,
		VMs: map[string]hyperv.VMCounters{"app": {MemoryPressure: 80, HasPressure: true}}}
	tests := []struct {
		name     string
		vms      []hyperv.VM
		counters hyperv.Counters
		want     map[string]float64 // cores by VM ID
	}{
		{"counters: mean vCPU use times vCPUs",
			[]hyperv.VM{running(idA, "app", 4, 1)}, counters(50, 128, map[string]float64{"app": 75}),
			map[string]float64{idA: 3}},
		{"counters are matched by lower-case name",
			[]hyperv.VM{running(idA, "App-01", 2, 1)}, counters(50, 128, map[string]float64{"app-01": 50}),
			map[string]float64{idA: 1}},
		{"a shared name falls back to Get-VM's share of the host",
			[]hyperv.VM{running(idA, "app", 4, 25), running(idB, "APP", 2, 5)}, counters(50, 128, map[string]float64{"app": 90}),
			map[string]float64{idA: 8, idB: 1.6}},
		{"no counters falls back",
			[]hyperv.VM{running(idA, "app", 4, 10)}, counters(50, 128, nil),
			map[string]float64{idA: 3.2}},
		{"a counter entry without processors falls back",
			[]hyperv.VM{running(idA, "app", 4, 10)}, noVPs,
			map[string]float64{idA: 3.2}},
		{"a VM that is not running uses nothing",
			[]hyperv.VM{saved}, counters(50, 128, map[string]float64{"app": 75}),
			map[string]float64{idA: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := collectortest.NewSource(hostInfo("HV01", 32, 256), tc.vms...)
			src.SetCounters(tc.counters)
			f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Source: src})
			s := f.poll(time.Second)
			got := map[string]float64{}
			for id, st := range vmCPU(s) {
				got[id] = st.Mean
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cores (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSmoothing polls every 30 s for five minutes: a window holds eleven
// samples, older ones leave it, and one spike barely moves the mean.
func TestSmoothing(t *testing.T) {
	src := collectortest.NewSource(hostInfo("HV01", 32, 256))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Source: src})
	var s *collector.Snapshot
	for i := range 11 {
		cpu := 20.0
		if i == 5 {
			cpu = 100 // one poll catches a spike
		}
		src.SetCounters(counters(cpu, 128, nil))
		s = f.poll(30 * time.Second)
	}
	h := host(t, s, "HV01")
	// Mean (10×20 + 100)/11 ≈ 27.3: the planner's view hardly moves. The
	// p95 of eleven samples is the eleventh (⌈10.45⌉), so it shows the
	// spike until it leaves the window.
	want := collector.Stat{Last: 20, Mean: 300.0 / 11, P95: 100, Max: 100}
	if diff := cmp.Diff(want, h.CPU); diff != "" || h.Samples != 11 {
		t.Errorf("cpu with one spike (-want +got):\n%s\nsamples %d, want 11", diff, h.Samples)
	}
	for range 6 { // three more minutes: the spike is now older than the window
		src.SetCounters(counters(20, 128, nil))
		s = f.poll(30 * time.Second)
	}
	h = host(t, s, "HV01")
	if diff := cmp.Diff(flat(20), h.CPU); diff != "" || h.Samples != 11 {
		t.Errorf("cpu after the spike expired (-want +got):\n%s\nsamples %d, want 11", diff, h.Samples)
	}
}

func TestVMMovingHostsKeepsWindow(t *testing.T) {
	const id = "00000000-0000-4000-8000-000000000001"
	a := collectortest.NewSource(hostInfo("HV01", 32, 256), running(id, "app", 4, 0))
	b := collectortest.NewSource(hostInfo("HV02", 32, 256))
	a.SetCounters(counters(50, 128, map[string]float64{"app": 50}))
	b.SetCounters(counters(10, 200, map[string]float64{"app": 100}))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Source: a}, collector.Target{Name: "HV02", Source: b})
	for range 3 {
		f.poll(time.Minute)
	}
	a.SetVMs()
	b.SetVMs(running(id, "app", 4, 0))
	s := f.poll(time.Minute)
	v, ok := s.VM(id)
	if !ok {
		t.Fatal("vm missing after the move")
	}
	want := collector.Stat{Last: 4, Mean: (2*3 + 4) / 4.0, P95: 4, Max: 4}
	if v.Host != "HV02" || v.Samples != 4 {
		t.Errorf("vm on %s with %d samples, want HV02 with 4", v.Host, v.Samples)
	}
	if diff := cmp.Diff(want, v.CPU); diff != "" {
		t.Errorf("cpu (-want +got):\n%s", diff)
	}
}

func TestDuplicateVMKeepsFirstHost(t *testing.T) {
	const id = "00000000-0000-4000-8000-000000000001"
	// While a migration ends both hosts may list the VM: one entry, on the
	// host first by name, every time.
	a := collectortest.NewSource(hostInfo("HV01", 32, 256), running(id, "app", 4, 10))
	b := collectortest.NewSource(hostInfo("HV02", 32, 256), running(id, "app", 4, 10))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV02", Source: b}, collector.Target{Name: "HV01", Source: a})
	s := f.poll(time.Minute)
	if diff := cmp.Diff(map[string]string{id: "HV01"}, vmHosts(s)); diff != "" {
		t.Errorf("vm hosts (-want +got):\n%s", diff)
	}
}

func TestFactsRefresh(t *testing.T) {
	src := collectortest.NewSource(hostInfo("HV01", 32, 256))
	f := newFixture(t, collector.Config{FactsEvery: 3}, collector.Target{Name: "HV01", Source: src})
	for range 7 { // facts at polls 1, 4 and 7
		f.poll(time.Minute)
	}
	if n := src.Calls(collectortest.CallHost); n != 3 {
		t.Errorf("Get-VMHost read %d times in 7 polls, want 3", n)
	}
	src.SetHost(hostInfo("HV01", 64, 512)) // upgraded, noticed at the next refresh
	src.SetError(collectortest.CallCounters, errors.New("get counters: access denied"))
	f.poll(time.Minute) // poll 8: fails; facts read again at the next one
	src.SetError(collectortest.CallCounters, nil)
	s := f.poll(time.Minute)
	if n := src.Calls(collectortest.CallHost); n != 4 {
		t.Errorf("Get-VMHost read %d times, want 4 (again after the failure)", n)
	}
	if h := host(t, s, "HV01"); h.LogicalProcessors != 64 || h.MemoryBytes != 512*gib {
		t.Errorf("host has %d LPs and %d bytes, want the refreshed 64 and 512 GiB", h.LogicalProcessors, h.MemoryBytes)
	}
}

func TestSetTargets(t *testing.T) {
	const (
		idA = "00000000-0000-4000-8000-00000000000a"
		idB = "00000000-0000-4000-8000-00000000000b"
	)
	a := collectortest.NewSource(hostInfo("HV01", 32, 256), running(idA, "a", 2, 10))
	b := collectortest.NewSource(hostInfo("HV02", 32, 256), running(idB, "b", 2, 10))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Group: "old", Source: a}, collector.Target{Name: "HV02", Source: b})
	for range 3 {
		f.poll(time.Minute)
	}
	err := f.c.SetTargets([]collector.Target{{Name: "HV01", Source: a}, {Name: "HV01", Source: b}})
	if want := `set targets: targets[1]: host "HV01" twice: invalid collector config`; err == nil || err.Error() != want {
		t.Fatalf("SetTargets with a duplicate: %v, want %s", err, want)
	}
	// A new source for HV01 (say a new address): same host, same window.
	a2 := collectortest.NewSource(hostInfo("HV01", 32, 256), running(idA, "a", 2, 10))
	c := collectortest.NewSource(hostInfo("HV03", 16, 128))
	if err := f.c.SetTargets([]collector.Target{{Name: "HV01", Group: "new", Source: a2}, {Name: "HV03", Source: c}}); err != nil {
		t.Fatal(err)
	}
	s := f.poll(time.Minute)
	type row struct {
		Name, Group string
		Samples     int
		Health      collector.Health
	}
	var got []row
	for _, h := range s.Hosts {
		got = append(got, row{h.Name, h.Group, h.Samples, h.Health})
	}
	want := []row{{"HV01", "new", 4, collector.HealthOK}, {"HV03", "", 1, collector.HealthOK}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hosts after SetTargets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{idA: "HV01"}, vmHosts(s)); diff != "" {
		t.Errorf("vms after SetTargets (-want +got):\n%s", diff)
	}
	if v, _ := s.VM(idA); v.Samples != 4 {
		t.Errorf("vm on the kept host has %d samples, want 4", v.Samples)
	}
}

func TestSnapshotImmutable(t *testing.T) {
	const id = "00000000-0000-4000-8000-000000000001"
	vm := running(id, "app", 2, 10)
	vm.Tags = map[string]string{"role": "app"}
	src := collectortest.NewSource(hostInfo("HV01", 32, 256), vm)
	src.SetCounters(counters(30, 100, nil))
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Labels: map[string]string{"rack": "a"}, Source: src})
	first := f.poll(time.Minute)
	digest := first.Digest()
	copied, err := collector.ReadSnapshot(jsonReader(t, first))
	if err != nil {
		t.Fatal(err)
	}

	// A consumer scribbling on a later snapshot must not reach the
	// collector or the first snapshot either.
	second := f.poll(time.Minute)
	second.Hosts[0].Labels["rack"] = "scribbled"
	second.VMs[0].Tags["role"] = "scribbled"
	second.Hosts[0].CPU.Mean = -1

	vm.Tags = map[string]string{"role": "db"}
	src.SetVMs(vm)
	src.SetCounters(counters(90, 10, nil))
	f.poll(time.Minute)
	src.Fail(errors.New("host unreachable: connection refused"))
	third := f.poll(time.Minute)

	if got := first.Digest(); got != digest {
		t.Errorf("first snapshot changed: digest %s, was %s", got, digest)
	}
	if diff := cmp.Diff(copied, first); diff != "" {
		t.Errorf("first snapshot changed (-before +after):\n%s", diff)
	}
	if got := third.Hosts[0].Labels["rack"]; got != "a" {
		t.Errorf("third snapshot's label is %q: a consumer's edit leaked in", got)
	}
	if got := third.VMs[0].Tags["role"]; got != "db" {
		t.Errorf("third snapshot's tag is %q, want db", got)
	}
}

func TestNilLoggerAndRegistry(t *testing.T) {
	c, err := collector.New([]collector.Target{{Name: "HV01", Source: collectortest.NewSource(hostInfo("HV01", 8, 64))}}, collector.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Latest() != nil {
		t.Error("Latest before any poll is not nil")
	}
	if _, err := c.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
}
