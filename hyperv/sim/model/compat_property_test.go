package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// genStorageFleet draws a small fleet whose hosts differ in processor,
// versions, switches, volume sizes and which of them reach a share, and
// whose VMs differ in storage, disks, state, version, switches and
// processor compatibility.
func genStorageFleet(t *rapid.T) *fleetfile.FleetSpec {
	nh := rapid.IntRange(2, 4).Draw(t, "hosts")
	s := &fleetfile.FleetSpec{Seed: 3}
	var reach []string
	for i := range nh {
		h := fleetfile.HostSpec{
			Name: fmt.Sprintf("HV%02d", i+1), LogicalProcessors: 16, MemoryGiB: 64,
			Processor: fleetfile.ProcessorSpec{
				Vendor: rapid.SampledFrom([]string{"GenuineIntel", "GenuineIntel", "AuthenticAMD"}).Draw(t, "vendor"),
				Model:  rapid.SampledFrom([]string{"Model A", "Model B"}).Draw(t, "model"),
			},
			ConfigVersions: rapid.SampledFrom([][]string{fleetfile.WindowsServer2019Versions, fleetfile.WindowsServer2022Versions}).Draw(t, "versions"),
			Switches:       rapid.SampledFrom([][]string{{"LAN"}, {"LAN", "Backup"}, {"Backup"}}).Draw(t, "switches"),
			Volumes:        []fleetfile.VolumeSpec{{Path: `C:\`, SizeGiB: 127}, {Path: `D:\`, SizeGiB: rapid.SampledFrom([]float64{100, 300}).Draw(t, "d")}},
		}
		if i == 0 || rapid.Bool().Draw(t, "reaches share") {
			reach = append(reach, h.Name)
		}
		s.Hosts = append(s.Hosts, h)
	}
	s.Shares = []fleetfile.ShareSpec{{Path: share, SizeGiB: rapid.SampledFrom([]float64{200, 2000}).Draw(t, "share size"), Hosts: reach}}
	nv := rapid.IntRange(1, 3).Draw(t, "vms")
	for i := range nv {
		h := s.Hosts[rapid.IntRange(0, nh-1).Draw(t, "host")]
		v := fleetfile.VMSpec{
			Name: fmt.Sprintf("vm%d", i), Host: h.Name, CPUs: 1, MemoryGiB: 2,
			State:                  rapid.SampledFrom([]string{"Running", "Off", "Saved", "Paused"}).Draw(t, "state"),
			DisksGiB:               []float64{rapid.SampledFrom([]float64{10, 30}).Draw(t, "disk")},
			ConfigVersion:          rapid.SampledFrom(h.ConfigVersions).Draw(t, "version"),
			ProcessorCompatibility: rapid.Bool().Draw(t, "compat"),
			Switches:               []string{rapid.SampledFrom(h.Switches).Draw(t, "switch")},
			Storage:                "local",
		}
		if slices.Contains(reach, h.Name) && rapid.Bool().Draw(t, "on share") {
			v.Storage = share
		}
		s.VMs = append(s.VMs, v)
	}
	return s
}

// Compare and Migrate apply one set of rules: for any request on any such
// fleet, Compare's report is empty exactly when Migrate accepts the move
// (or refuses it for a reason that is no incompatibility), and when it
// refuses one, it lists the report Compare gave.
func TestCompareAgreesWithMigrate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genStorageFleet(t)
		clock := NewManualClock(fleetfile.DefaultStart)
		f, err := NewFleet(spec, clock)
		if err != nil {
			t.Fatalf("drawn fleet is invalid: %v", err)
		}
		defer f.Close()
		vm := f.Spec().VMs[rapid.IntRange(0, len(spec.VMs)-1).Draw(t, "vm")]
		v, _ := f.VM(vm.ID)
		req := MigrationRequest{
			VMID: v.ID, Source: v.Host, Destination: rapid.SampledFrom(f.HostNames()).Draw(t, "destination"),
			IncludeStorage:         rapid.Bool().Draw(t, "include storage"),
			DestinationStoragePath: rapid.SampledFrom([]string{"", `D:\VMs`, `E:\VMs`, share + `\moved`}).Draw(t, "path"),
		}
		report, err := f.Compare(req)
		if err != nil {
			t.Fatalf("Compare: %v", err)
		}
		res := make(chan error, 1)
		go func() {
			_, err := f.Migrate(context.Background(), req)
			res <- err
		}()
		// Migrate records every request it takes at once: refused ones end
		// there, accepted ones wait for the clock, which this test never moves.
		var entry LedgerEntry
		for {
			f.mu.Lock()
			ch, n := f.changed, len(f.ledger)
			if n > 0 {
				entry = f.ledger[0]
			}
			f.mu.Unlock()
			if n > 0 && (entry.Outcome != OutcomeQueued || len(f.queueSnapshot()) > 0) {
				break
			}
			<-ch
		}
		if entry.Outcome != OutcomeFailed {
			if len(report) != 0 {
				t.Fatalf("Migrate accepted %+v, but Compare reported %+v", req, report)
			}
			return
		}
		err = <-res
		var me *MoveError
		refused := errors.As(err, &me) && me.Reason != ""
		if refused != (len(report) != 0) {
			t.Fatalf("Compare reported %+v; Migrate said %v", report, err)
		}
		if refused && !slices.Equal(me.Incompatibilities, report) {
			t.Fatalf("Migrate's incompatibilities %+v differ from Compare's %+v", me.Incompatibilities, report)
		}
	})
}

// queueSnapshot returns the migrations queued or running.
func (f *Fleet) queueSnapshot() []*migration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*migration(nil), f.queue...)
}
