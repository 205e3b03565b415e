package model

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

func TestSetAndGetFaults(t *testing.T) {
	f, _ := rulesFleet(t)
	got, err := f.Faults("hv07")
	if err != nil || !cmp.Equal(got, fleetfile.Faults{Unreachable: true, MoveFailure: "0x8009030E"}) {
		t.Errorf("faults from the spec: %+v, %v", got, err)
	}
	set := fleetfile.Faults{Latency: fleetfile.Duration(2 * time.Second), WrongCredentials: true, MoveFailureRate: 0.5, MoveFailure: "0x800705b4", DropConnection: true}
	if err := f.SetFaults("HV01", set); err != nil {
		t.Fatal(err)
	}
	want := set
	want.MoveFailure = "0x800705B4"
	if got, _ := f.Faults("HV01"); !cmp.Equal(got, want) {
		t.Errorf("Faults after SetFaults = %+v, want %+v", got, want)
	}
	if h, _ := f.Host("HV01"); !cmp.Equal(h.Faults, want) {
		t.Errorf("HostState.Faults = %+v", h.Faults)
	}

	tests := []struct {
		name, host string
		faults     fleetfile.Faults
		want       string
		unknown    bool
	}{
		{name: "unknown host", host: "HV99", want: "set faults of HV99: unknown host", unknown: true},
		{name: "rate above 1", host: "HV01", faults: fleetfile.Faults{MoveFailureRate: 1.5}, want: "set faults of HV01: faults.move_failure_rate: must be between 0 and 1"},
		{name: "unknown HRESULT", host: "HV01", faults: fleetfile.Faults{MoveFailure: "E_FAIL"},
			want: "set faults of HV01: faults.move_failure: must be one of 0x8009030E, 0x8009030D, 0x800705B4, 0x8007274D, 0x8007000E"},
		{name: "negative latency", host: "HV01", faults: fleetfile.Faults{Latency: -1}, want: "set faults of HV01: faults.latency: must be >= 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.SetFaults(tc.host, tc.faults)
			if err == nil || err.Error() != tc.want || errors.Is(err, ErrUnknownHost) != tc.unknown {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := f.Faults("HV99"); !errors.Is(err, ErrUnknownHost) {
		t.Errorf("Faults(HV99) = %v", err)
	}
	if err := f.Crash("HV99"); !errors.Is(err, ErrUnknownHost) {
		t.Errorf("Crash(HV99) = %v", err)
	}
}

// failureFleet moves 40 off VMs (quick moves) from HV01, whose moves fail at rate.
func failureFleet(t *testing.T, seed int64, code string) (*Fleet, []string) {
	hosts := []fleetfile.HostSpec{
		{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 64, Faults: fleetfile.Faults{MoveFailureRate: 0.4, MoveFailure: code}},
		{Name: "HV02", LogicalProcessors: 16, MemoryGiB: 64},
	}
	var vms []fleetfile.VMSpec
	for i := range 40 {
		vms = append(vms, fleetfile.VMSpec{Name: fmt.Sprintf("vm%02d", i), Host: "HV01", CPUs: 1, MemoryGiB: 1, State: "Off"})
	}
	clock := NewManualClock(fleetfile.DefaultStart)
	f, err := NewFleet(&fleetfile.FleetSpec{Seed: seed, Hosts: hosts, VMs: vms}, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	autoAdvance(t, clock, time.Minute)
	var got []string
	for _, v := range f.spec.VMs {
		_, err := f.Migrate(context.Background(), MigrationRequest{VMID: v.ID, Source: "HV01", Destination: "HV02"})
		var me *MoveError
		switch {
		case err == nil:
			got = append(got, "ok")
		case errors.As(err, &me):
			got = append(got, fleetfile.FormatHResult(me.HResult))
		default:
			t.Fatal(err)
		}
	}
	return f, got
}

func TestMoveFailureRateIsDeterministic(t *testing.T) {
	_, a := failureFleet(t, 5, "")
	_, b := failureFleet(t, 5, "")
	_, c := failureFleet(t, 6, "")
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different outcomes (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Error("different seeds, same outcomes")
	}
	failed := 0
	for _, o := range a {
		if o == "0x8009030E" {
			failed++
		} else if o != "ok" {
			t.Errorf("outcome %s, want ok or the default 0x8009030E", o)
		}
	}
	if failed < 8 || failed > 24 {
		t.Errorf("%d of 40 failed at rate 0.4", failed)
	}
}

func TestInjectedTimeoutFailsAtTheEndOfTheCopy(t *testing.T) {
	f, got := failureFleet(t, 5, "0x800705B4")
	for i, e := range f.Ledger() {
		if got[i] == "0x800705B4" && (e.End.Sub(e.Start) != quickMoveTime || e.Outcome != OutcomeFailed) {
			t.Errorf("timed-out entry %+v, want it to fail after the %v move", e, quickMoveTime)
		}
		if got[i] == "ok" && e.Outcome != OutcomeCompleted {
			t.Errorf("entry %+v", e)
		}
	}
}

func TestCrashDuringAMigrationFailsIt(t *testing.T) {
	for _, crash := range []string{"HV01", "HV02"} {
		t.Run("crash "+crash, func(t *testing.T) {
			f, clock := rulesFleet(t)
			res := migrateAsync(context.Background(), f, MigrationRequest{VMID: bigID, Source: "HV01", Destination: "HV02"})
			if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			clock.Advance(3 * time.Second)
			if err := f.Crash(crash); err != nil {
				t.Fatal(err)
			}
			r := <-res
			var me *MoveError
			if !errors.As(r.err, &me) || me.HResult != fleetfile.HResultTimeout {
				t.Fatalf("Migrate = %+v, want 0x800705B4", r)
			}
			e := f.Ledger()[0]
			if e.Outcome != OutcomeFailed || !e.End.Equal(fleetfile.DefaultStart.Add(3*time.Second)) || e.Bytes <= 0 || e.Bytes >= 16*GiB {
				t.Errorf("ledger %+v, want failed at the crash with part of the memory sent", e)
			}
			v, _ := f.VM(bigID)
			wantState := VMRunning
			if crash == "HV01" {
				wantState = VMOff
			}
			if v.Host != "HV01" || v.State != wantState || v.Status != StatusNormal {
				t.Errorf("VM after the crash: %+v", v)
			}
			for _, name := range []string{"HV01", "HV02"} {
				if h, _ := f.Host(name); h.ActiveMigrations != 0 || (name == "HV02" && h.AvailableMBytes != (64-4)*1024) {
					t.Errorf("%s still holds the migration: %+v", name, h)
				}
			}
		})
	}
}

func TestCrashFailsOverClusteredVMs(t *testing.T) {
	hosts := []fleetfile.HostSpec{
		{Name: "HV03", LogicalProcessors: 16, MemoryGiB: 64, Cluster: "CL01"},
		{Name: "HV04", LogicalProcessors: 16, MemoryGiB: 32, Cluster: "CL01"},
		{Name: "HV05", LogicalProcessors: 16, MemoryGiB: 256},
	}
	vms := []fleetfile.VMSpec{
		{Name: "sql01", Host: "HV03", CPUs: 4, MemoryGiB: 16, Clustered: true, Uptime: fleetfile.Duration(48 * time.Hour), Load: fleetfile.Load{CPU: 0.5}},
		{Name: "sql02", Host: "HV03", CPUs: 4, MemoryGiB: 24, Clustered: true},
		{Name: "local", Host: "HV03", CPUs: 2, MemoryGiB: 4},
		{Name: "saved", Host: "HV03", State: "Saved", CPUs: 2, MemoryGiB: 4},
	}
	f, clock := physicsFleet(t, hosts, vms)
	clock.Advance(time.Hour)
	if err := f.Crash("hv03"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, name := range []string{"HV03", "HV04"} {
		for _, v := range f.VMs(name) {
			got[v.Name] = fmt.Sprintf("%s %s up %v", v.Host, v.State, v.Uptime)
		}
	}
	want := map[string]string{
		"sql01": "HV04 Running up 0s", // restarted on the surviving node
		"sql02": "HV03 Off up 0s",     // no room left on HV04 after sql01
		"local": "HV03 Off up 0s",
		"saved": "HV03 Saved up 0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VMs after the crash (-want +got):\n%s", diff)
	}
	h, _ := f.Host("HV03")
	if !h.Faults.Crashed || h.CPUPercent != 0 {
		t.Errorf("crashed host: %+v", h)
	}
	if err := f.Crash("HV03"); err != nil {
		t.Errorf("crashing a crashed host: %v", err)
	}
	// Back up: the host answers again, its VMs stay off.
	if err := f.SetFaults("HV03", fleetfile.Faults{}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	for _, v := range f.VMs("HV03") {
		if v.State == VMRunning {
			t.Errorf("%s came back running", v.Name)
		}
	}
	if h, _ := f.Host("HV03"); h.Faults.Crashed || h.CPUPercent != 3 {
		t.Errorf("recovered host: %+v", h)
	}
}

func TestSetFaultsCrashedCrashes(t *testing.T) {
	f, _ := rulesFleet(t)
	if err := f.SetFaults("HV01", fleetfile.Faults{Crashed: true}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.VM(web01ID); v.State != VMOff {
		t.Errorf("VM on a crashed host: %+v", v)
	}
}

func TestHangHoldsTheMigrationUntilCleared(t *testing.T) {
	f, clock := rulesFleet(t)
	if err := f.SetFaults("HV01", fleetfile.Faults{Hang: true}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res := migrateAsync(ctx, f, MigrationRequest{VMID: web01ID, Source: "HV01", Destination: "HV02"})
	waitUntil(t, f, func() bool { return len(f.Ledger()) == 1 })
	clock.Advance(24 * time.Hour)
	if e := f.Ledger()[0]; e.Outcome != OutcomeRunning || clock.Waiters() != 0 {
		t.Fatalf("hung migration: %+v, %d clock waiters", e, clock.Waiters())
	}
	if v, _ := f.VM(web01ID); v.Status != "Migrating - 0% complete" {
		t.Errorf("status %q", v.Status)
	}
	cancel()
	if r := <-res; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Migrate = %v, want context.Canceled", r.err)
	}
	if err := f.SetFaults("HV01", fleetfile.Faults{}); err != nil {
		t.Fatal(err)
	}
	cleared := clock.Now()
	if err := clock.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	e := f.Ledger()[0]
	if e.Outcome != OutcomeCompleted || !e.Start.Equal(fleetfile.DefaultStart) || !e.End.After(cleared) || e.End.Sub(cleared) > time.Minute {
		t.Errorf("ledger after the hang cleared at %v: %+v", cleared, e)
	}
}
