package powershell

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// saturatedFleet is an English and a German host, each with VMs that want
// 12 of its 8 logical processors, on a clock that moves only when told.
func saturatedFleet(t *testing.T) (*model.Fleet, *model.ManualClock) {
	t.Helper()
	spec := &fleetfile.FleetSpec{Seed: 7,
		Hosts: []fleetfile.HostSpec{
			{Name: "HV01", LogicalProcessors: 8, MemoryGiB: 64},
			{Name: "HV02", LogicalProcessors: 8, MemoryGiB: 64, Language: "de-DE"},
		},
		VMs: []fleetfile.VMSpec{
			{ID: "11111111-1111-4111-8111-111111111111", Name: "sql-01", Host: "HV01", CPUs: 8, MemoryGiB: 4, Load: fleetfile.Load{CPU: 1}},
			{ID: "22222222-2222-4222-8222-222222222222", Name: "web-01", Host: "HV01", CPUs: 8, MemoryGiB: 4, Load: fleetfile.Load{CPU: 0.5}},
			{ID: "33333333-3333-4333-8333-333333333333", Name: "sql-02", Host: "HV02", CPUs: 8, MemoryGiB: 4, Load: fleetfile.Load{CPU: 1}},
			{ID: "44444444-4444-4444-8444-444444444444", Name: "web-02", Host: "HV02", CPUs: 8, MemoryGiB: 4, Load: fleetfile.Load{CPU: 0.5}},
		}}
	spec.SetDefaults()
	clock := model.NewManualClock(fleetfile.DefaultStart)
	f, err := model.NewFleet(spec, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, clock
}

// counterSamples runs one Get-Counter of path on host and returns its
// samples' instance names and cooked values.
func counterSamples(t *testing.T, f *model.Fleet, clock *model.ManualClock, host, path string) (map[string]float64, []string) {
	t.Helper()
	h := &fleetHost{fleet: f, host: host, shell: NewShell(f, host)}
	in := eval.New(context.Background(), h, cmdlets)
	tree, err := lang.Parse(`(Get-Counter -Counter '` + path + `' -SampleInterval 1).CounterSamples`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() { done <- in.Run(tree) }()
	deadline := time.After(10 * time.Second)
	for ran := false; !ran; {
		select {
		case <-done:
			ran = true
		case <-time.After(5 * time.Millisecond):
			if clock.Waiters() > 0 { // the sample interval
				clock.Advance(time.Second)
			}
		case <-deadline:
			t.Fatal("Get-Counter did not return")
		}
	}
	got := map[string]float64{}
	for _, o := range in.Output {
		obj, ok := o.(*eval.Object)
		if !ok {
			continue
		}
		name, _ := obj.Get("InstanceName")
		v, _ := obj.Get("CookedValue")
		got[name.(string)] = v.(float64)
	}
	var errs []string
	for _, e := range in.Errors {
		errs = append(errs, strings.Join(e.Message, " "))
	}
	return got, errs
}

func TestGetCounterServesWaitPerDispatch(t *testing.T) {
	f, clock := saturatedFleet(t)
	got, errs := counterSamples(t, f, clock, "HV01", `\Hyper-V Hypervisor Virtual Processor(*)\CPU Wait Time Per Dispatch`)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var waited, dispatches float64
	for _, v := range f.VMs("HV01") {
		for k := range v.GuestRunTime {
			name := strings.ToLower(v.Name) + ":hv vp " + string(rune('0'+k))
			if math.Abs(got[name]-v.WaitPerDispatch[k]) > 1e-6 {
				t.Errorf("%s: %v ns per dispatch, the model has %v", name, got[name], v.WaitPerDispatch[k])
			}
			if got[name] < 60e3 {
				t.Errorf("%s waits %v ns per dispatch on a host that has 8 of the 12 LPs its VMs want", name, got[name])
			}
			waited += v.WaitPerDispatch[k] * v.Dispatches[k]
			dispatches += v.Dispatches[k]
		}
	}
	if len(got) != 17 {
		t.Errorf("%d samples, want 16 virtual processors and _total", len(got))
	}
	if math.Abs(got["_total"]-waited/dispatches) > 1e-6 {
		t.Errorf("_total %v, want all waits over all dispatches %v", got["_total"], waited/dispatches)
	}
	// The German host has no name for it here: "not found", as Windows
	// says of a counter path in another language.
	got, errs = counterSamples(t, f, clock, "HV02", `\Hyper-V Hypervisor Virtual Processor(*)\CPU Wait Time Per Dispatch`)
	if len(got) != 0 || len(errs) != 1 {
		t.Errorf("German host: samples %v, errors %v; want none and one not found", got, errs)
	}
}
