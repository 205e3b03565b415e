package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

const (
	localID  = "5a1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a01"
	sharedID = "5a1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a02"
	compatID = "5a1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a03"
	v10ID    = "5a1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a04"
	bigVHDID = "5a1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a05"
	share    = `\\fs01.lab.example\vms`
)

// storageFleet has a host for every way a destination can be unable to
// take a VM: HV01 and HV02 keep VMs on their own D:\ (HV02's is small),
// HV03 has an older processor model and Windows Server 2019's versions,
// HV04 an AMD processor, HV05 no Backup switch, HV06 no access to the
// share HV01 to HV05 reach.
func storageFleet(t *testing.T) (*Fleet, *ManualClock) {
	t.Helper()
	both := []string{"LAN", "Backup"}
	vols := func(d float64) []fleetfile.VolumeSpec {
		return []fleetfile.VolumeSpec{{Path: `C:\`, SizeGiB: 127}, {Path: `D:\`, SizeGiB: d}}
	}
	hosts := []fleetfile.HostSpec{
		{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 64, Switches: both, Volumes: vols(500), Performance: "TCPIP", BandwidthGbps: 8},
		{Name: "HV02", LogicalProcessors: 16, MemoryGiB: 64, Switches: both, Volumes: vols(100), Performance: "TCPIP", BandwidthGbps: 8},
		{Name: "HV03", LogicalProcessors: 16, MemoryGiB: 64, Switches: both, ConfigVersions: fleetfile.WindowsServer2019Versions,
			Processor: fleetfile.ProcessorSpec{Model: "Intel64 Family 6 Model 85 Stepping 4"}},
		{Name: "HV04", LogicalProcessors: 16, MemoryGiB: 64, Switches: both,
			Processor: fleetfile.ProcessorSpec{Vendor: "AuthenticAMD", Model: "AMD64 Family 25 Model 1 Stepping 1"}},
		{Name: "HV05", LogicalProcessors: 16, MemoryGiB: 64, Switches: []string{"LAN"}},
		{Name: "HV06", LogicalProcessors: 16, MemoryGiB: 64, Switches: both, Language: "de-DE"},
	}
	vms := []fleetfile.VMSpec{
		{ID: localID, Name: "local01", Host: "HV01", CPUs: 2, MemoryGiB: 4, State: "Paused", Storage: "local", DisksGiB: []float64{40, 60}, Switches: both},
		{ID: sharedID, Name: "shared01", Host: "HV01", CPUs: 2, MemoryGiB: 4, Storage: share},
		{ID: compatID, Name: "compat01", Host: "HV01", CPUs: 2, MemoryGiB: 4, Storage: share, ProcessorCompatibility: true},
		{ID: v10ID, Name: "v10", Host: "HV01", CPUs: 2, MemoryGiB: 4, Storage: share, ConfigVersion: "10.0"},
		{ID: bigVHDID, Name: "bigvhd", Host: "HV01", CPUs: 2, MemoryGiB: 4, State: "Off", Storage: "local", DisksGiB: []float64{150}},
	}
	clock := NewManualClock(fleetfile.DefaultStart)
	spec := &fleetfile.FleetSpec{Seed: 11, Hosts: hosts, VMs: vms,
		Shares: []fleetfile.ShareSpec{{Path: share, SizeGiB: 1000, Hosts: []string{"HV01", "HV02", "HV03", "HV04", "HV05"}}}}
	f, err := NewFleet(spec, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, clock
}

func TestMigrateRefusesWhatTheDestinationCannotTake(t *testing.T) {
	head := func(vm, id, dst string) string {
		return fmt.Sprintf("Virtual machine migration operation for '%s' failed at migration destination '%s'. (Virtual machine ID %s)\n"+
			"The virtual machine '%s' is not compatible with physical computer '%s'. (Virtual machine ID %s)\n", vm, dst, strings.ToUpper(id), vm, dst, strings.ToUpper(id))
	}
	features := func(host string) Incompatibility {
		return Incompatibility{Reason: ReasonProcessorFeatures, MessageID: MessageProcessorFeatures, Source: "Microsoft.HyperV.PowerShell.VMProcessor",
			Message: "The virtual machine 'shared01' is using processor-specific features not supported on physical computer '" + host + "'. To allow for migration of this virtual machine to physical computers with different processors, modify the virtual machine settings to limit the processor features used by the virtual machine."}
	}
	vendor := Incompatibility{Reason: ReasonProcessorVendor, MessageID: MessageProcessorVendor, Source: "Microsoft.HyperV.PowerShell.VMProcessor",
		Message: "The virtual machine cannot be moved to the destination computer. The hardware on the destination computer is not compatible with the hardware requirements of this virtual machine."}
	notFound := func(path, host, source string) Incompatibility {
		return Incompatibility{Reason: ReasonStorageUnreachable, MessageID: MessageFileNotFound, Source: source, HResult: HResultPathNotFound,
			Message: "The file '" + path + "' could not be found on physical computer '" + host + "': The system cannot find the path specified. (0x80070003)"}
	}
	const disk, vm = "Microsoft.HyperV.PowerShell.HardDiskDrive", "Microsoft.HyperV.PowerShell.VirtualMachine"
	tests := []struct {
		name    string
		req     MigrationRequest
		vm      string
		want    []Incompatibility
		hresult uint32
	}{
		{
			name: "local files without IncludeStorage", vm: "local01",
			req: MigrationRequest{VMID: localID, Source: "HV01", Destination: "HV02"},
			want: []Incompatibility{
				notFound(`D:\Hyper-V`, "HV02", vm),
				notFound(`D:\Hyper-V\Virtual Hard Disks\local01.vhdx`, "HV02", disk),
				notFound(`D:\Hyper-V\Virtual Hard Disks\local01_1.vhdx`, "HV02", disk),
			},
			hresult: HResultPathNotFound,
		},
		{
			name: "a share the destination does not reach", vm: "shared01",
			req: MigrationRequest{VMID: sharedID, Source: "HV01", Destination: "HV06"},
			want: []Incompatibility{
				notFound(share+`\shared01`, "HV06", vm),
				notFound(share+`\shared01\shared01.vhdx`, "HV06", disk),
			},
			hresult: HResultPathNotFound,
		},
		{
			name: "another processor model without compatibility", vm: "shared01",
			req:  MigrationRequest{VMID: sharedID, Source: "HV01", Destination: "HV03"},
			want: []Incompatibility{features("HV03")},
		},
		{
			name: "another vendor", vm: "shared01",
			req:  MigrationRequest{VMID: sharedID, Source: "HV01", Destination: "HV04"},
			want: []Incompatibility{vendor},
		},
		{
			name: "another vendor even with processor compatibility", vm: "compat01",
			req:  MigrationRequest{VMID: compatID, Source: "HV01", Destination: "HV04"},
			want: []Incompatibility{vendor},
		},
		{
			name: "a configuration version the destination does not run, and its processor", vm: "v10",
			req: MigrationRequest{VMID: v10ID, Source: "HV01", Destination: "HV03"},
			want: []Incompatibility{
				{Reason: ReasonProcessorFeatures, MessageID: MessageProcessorFeatures, Source: "Microsoft.HyperV.PowerShell.VMProcessor",
					Message: "The virtual machine 'v10' is using processor-specific features not supported on physical computer 'HV03'. To allow for migration of this virtual machine to physical computers with different processors, modify the virtual machine settings to limit the processor features used by the virtual machine."},
				{Reason: ReasonConfigVersion, MessageID: MessageConfigVersion, Source: vm,
					Message: "The virtual machine 'v10' has configuration version 10.0, which physical computer 'HV03' does not support. It supports configuration versions 5.0, 6.2, 7.0, 7.1, 8.0, 8.1, 8.2, 8.3, 9.0."},
			},
		},
		{
			name: "a switch the destination lacks", vm: "local01",
			req: MigrationRequest{VMID: localID, Source: "HV01", Destination: "HV05", IncludeStorage: true, DestinationStoragePath: `D:\VMs\local01`},
			want: []Incompatibility{{Reason: ReasonSwitchMissing, MessageID: 33012, Source: "Microsoft.HyperV.PowerShell.VMNetworkAdapter",
				Message: "Could not find Ethernet switch 'Backup'."}},
		},
		{
			name: "a destination storage path on no volume", vm: "local01",
			req: MigrationRequest{VMID: localID, Source: "HV01", Destination: "HV02", IncludeStorage: true, DestinationStoragePath: `E:\VMs`},
			want: []Incompatibility{{Reason: ReasonStoragePathMissing, MessageID: MessageFileNotFound, Source: vm, HResult: HResultPathNotFound,
				Message: `The path 'E:\VMs' does not exist on physical computer 'HV02': The system cannot find the path specified. (0x80070003)`}},
			hresult: HResultPathNotFound,
		},
		{
			name: "a destination volume too small", vm: "bigvhd",
			req: MigrationRequest{VMID: bigVHDID, Source: "HV01", Destination: "HV02", IncludeStorage: true, DestinationStoragePath: `D:\VMs\bigvhd`},
			want: []Incompatibility{{Reason: ReasonStorageFull, MessageID: MessageDiskFull, Source: vm, HResult: HResultDiskFull,
				Message: fmt.Sprintf(`Not enough space on 'D:\' of physical computer 'HV02' for the virtual machine's files: %d bytes needed, %d bytes free. There is not enough space on the disk. (0x80070070)`, 150*GiB, 100*GiB)}},
			hresult: HResultDiskFull,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := storageFleet(t)
			before1, _ := f.Host("HV01")
			before2, _ := f.Host(tc.req.Destination)
			report, err := f.Compare(tc.req)
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if diff := cmp.Diff(tc.want, report); diff != "" {
				t.Errorf("Compare (-want +got):\n%s", diff)
			}
			_, err = f.Migrate(context.Background(), tc.req)
			var me *MoveError
			if !errors.As(err, &me) {
				t.Fatalf("Migrate = %v, want a *MoveError", err)
			}
			lines := make([]string, len(tc.want))
			for i, in := range tc.want {
				lines[i] = in.Message
			}
			want := &MoveError{
				HResult: tc.hresult, Message: head(tc.vm, tc.req.VMID, tc.req.Destination) + strings.Join(lines, "\n"),
				Command: "Move-VM", Category: "NotSpecified: (:) [Move-VM], VirtualizationException", ErrorID: "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM",
				Reason: tc.want[0].Reason, Incompatibilities: tc.want,
			}
			if diff := cmp.Diff(want, me); diff != "" {
				t.Errorf("Migrate error (-want +got):\n%s", diff)
			}
			e := f.Ledger()[0]
			if e.Outcome != OutcomeFailed || e.Bytes != 0 || e.StorageBytes != 0 || e.HResult != tc.hresult || !e.Start.Equal(e.Queued) || !e.End.Equal(e.Queued) {
				t.Errorf("ledger = %+v, want failed at once with nothing sent", e)
			}
			if v, _ := f.VM(tc.req.VMID); v.Host != "HV01" || v.Status != StatusNormal {
				t.Errorf("VM after the refusal: %+v", v)
			}
			after1, _ := f.Host("HV01")
			after2, _ := f.Host(tc.req.Destination)
			if diff := cmp.Diff(before1.Volumes, after1.Volumes); diff != "" {
				t.Errorf("source volumes changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(before2.Volumes, after2.Volumes); diff != "" {
				t.Errorf("destination volumes changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestCompareFailsAsMigrateDoes(t *testing.T) {
	f, _ := storageFleet(t)
	_, err := f.Compare(MigrationRequest{VMID: localID, Source: "HV02", Destination: "HV03"})
	if diff := cmp.Diff(VMNotFound(localID), err); diff != "" {
		t.Errorf("VM elsewhere (-want +got):\n%s", diff)
	}
	_, err = f.Compare(MigrationRequest{VMID: localID, Source: "HV01", Destination: "HV99"})
	var me *MoveError
	if !errors.As(err, &me) || me.HResult != fleetfile.HResultRefused {
		t.Errorf("unknown destination: %v, want connection refused", err)
	}
	if _, err := f.Compare(MigrationRequest{VMID: localID, Source: "HV98", Destination: "HV02"}); !errors.Is(err, ErrUnknownHost) {
		t.Errorf("unknown source: %v, want ErrUnknownHost", err)
	}
	if got, err := f.Compare(MigrationRequest{VMID: compatID, Source: "HV01", Destination: "HV03"}); err != nil || len(got) != 0 {
		t.Errorf("processor compatibility across models: %v, %v, want an empty report", got, err)
	}
}

func TestClusterMoveCannotIncludeStorage(t *testing.T) {
	f, _ := rulesFleet(t)
	_, err := f.Migrate(context.Background(), MigrationRequest{VMID: sql01ID, Source: "HV03", Destination: "HV04", Cluster: true, IncludeStorage: true})
	var me *MoveError
	if !errors.As(err, &me) || me.HResult != fleetfile.HResultInvalidArg || !strings.Contains(me.Message, "its storage stays on the cluster's storage") {
		t.Errorf("Migrate = %v, want the parameter refused", err)
	}
	if v, _ := f.VM(sql01ID); v.Host != "HV03" {
		t.Errorf("VM moved to %s", v.Host)
	}
}
