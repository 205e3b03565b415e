package hyperv

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostBase is get-host's output before the storage and compatibility facts.
const hostBase = `{"Name":"HV01","FullyQualifiedDomainName":"HV01.lab","LogicalProcessorCount":8,"MemoryCapacity":68719476736,` +
	`"VirtualMachineMigrationEnabled":true,"MaximumVirtualMachineMigrations":2,"VirtualMachineMigrationAuthenticationType":0,` +
	`"VirtualMachineMigrationPerformanceOption":2,"Cluster":null`

func TestParseHostFacts(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want HostInfo
	}{
		{
			name: "host from before: no facts",
			out:  hostBase + `}`,
			want: HostInfo{},
		},
		{
			name: "every list empty or null",
			out:  hostBase + `,"ProcessorManufacturer":"AuthenticAMD","ProcessorCaption":"AMD64 Family 25 Model 1 Stepping 1","ConfigVersions":null,"Switches":[],"VirtualMachinePath":null,"VirtualHardDiskPath":"","Volumes":null}`,
			want: HostInfo{ProcessorVendor: "AuthenticAMD", ProcessorModel: "AMD64 Family 25 Model 1 Stepping 1", Switches: []string{}},
		},
		{
			name: "one of each: PowerShell prints a bare value",
			out:  hostBase + `,"ConfigVersions":"9.0","Switches":"LAN","Volumes":{"Path":"E:\\","Size":1000,"Free":10}}`,
			want: HostInfo{ConfigVersions: []string{"9.0"}, Switches: []string{"LAN"}, Volumes: []Volume{{Path: `E:\`, Kind: StorageLocal, Size: 1000, Free: 10}}},
		},
		{
			name: "share it could not read is kept without room, null items dropped",
			out:  hostBase + `,"ConfigVersions":["8.0",null,"10.0"],"Volumes":[{"Path":"\\\\fs01\\vms","Size":null,"Free":null},null,{"Path":"\\\\fs02\\vms","Size":5,"Free":5}]}`,
			want: HostInfo{ConfigVersions: []string{"8.0", "10.0"}, Volumes: []Volume{{Path: `\\fs01\vms`, Kind: StorageSMB}, {Path: `\\fs02\vms`, Kind: StorageSMB, Size: 5, Free: 5}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseHost([]byte(tc.out))
			if err != nil {
				t.Fatal(err)
			}
			got := HostInfo{ProcessorVendor: h.ProcessorVendor, ProcessorModel: h.ProcessorModel, ConfigVersions: h.ConfigVersions,
				Switches: h.Switches, VMPath: h.VMPath, VHDPath: h.VHDPath, Volumes: h.Volumes}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("facts (-want +got):\n%s", diff)
			}
			if h.Name != "HV01" || h.PerformanceOption != MigrationSMB {
				t.Errorf("base fields lost: %+v", h)
			}
		})
	}
}

func TestParseHostFactsErrors(t *testing.T) {
	tests := []struct{ name, out string }{
		{"versions as numbers", hostBase + `,"ConfigVersions":[9.0]}`},
		{"switches as object", hostBase + `,"Switches":{"Name":"LAN"}}`},
		{"volume without path", hostBase + `,"Volumes":[{"Path":"","Size":1,"Free":1}]}`},
		{"more free than size", hostBase + `,"Volumes":[{"Path":"D:\\","Size":1,"Free":2}]}`},
		{"negative size", hostBase + `,"Volumes":[{"Path":"D:\\","Size":-1,"Free":0}]}`},
		{"size as text", hostBase + `,"Volumes":[{"Path":"D:\\","Size":"1 TB","Free":0}]}`},
		{"volumes as text", hostBase + `,"Volumes":"D:\\"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseHost([]byte(tc.out)); !errors.Is(err, ErrUnexpectedOutput) {
				t.Errorf("got %v, want ErrUnexpectedOutput", err)
			}
		})
	}
}

// vmBase is one VM of get-vms' output before the new facts.
const vmBase = `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","Name":"web01","State":2,"CPUUsage":7,"ProcessorCount":4,"MemoryAssigned":4294967296,` +
	`"MemoryDemand":3221225472,"MemoryStartup":4294967296,"DynamicMemoryEnabled":false,"IsClustered":false,"Uptime":{"Ticks":0},"Notes":"","ComputerName":"HV01"`

func TestParseVMFacts(t *testing.T) {
	type facts struct {
		ConfigVersion string
		Compat        bool
		Switches      []string
		Path          string
		Disks         []Disk
	}
	tests := []struct {
		name string
		out  string
		want facts
	}{
		{"vm from before: no facts", vmBase + `}`, facts{}},
		{"no adapters, no disks: nulls", vmBase + `,"Version":"10.0","Path":"D:\\VMs","ProcessorCompatibility":false,"Switches":null,"Disks":null}`,
			facts{ConfigVersion: "10.0", Path: `D:\VMs`}},
		{"one adapter, one disk: bare values", vmBase + `,"Version":"9.0","ProcessorCompatibility":true,"Switches":"LAN","Disks":{"Path":"\\\\fs01\\vms\\a.vhdx","FileSize":10,"Size":20}}`,
			facts{ConfigVersion: "9.0", Compat: true, Switches: []string{"LAN"}, Disks: []Disk{{Path: `\\fs01\vms\a.vhdx`, Kind: StorageSMB, FileSize: 10, Size: 20}}}},
		{"unconnected adapter, pass-through drive without path, unreadable disk", vmBase + `,"Switches":["LAN",""],"Disks":[{"Path":null,"FileSize":null,"Size":null},{"Path":"C:\\ClusterStorage\\Volume1\\a.vhdx","FileSize":null,"Size":null}]}`,
			facts{Switches: []string{"LAN", ""}, Disks: []Disk{{Path: `C:\ClusterStorage\Volume1\a.vhdx`, Kind: StorageCSV}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vms, err := parseVMs([]byte(tc.out))
			if err != nil {
				t.Fatal(err)
			}
			if len(vms) != 1 {
				t.Fatalf("%d vms", len(vms))
			}
			v := vms[0]
			got := facts{v.ConfigVersion, v.ProcessorCompatibility, v.Switches, v.Path, v.Disks}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("facts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseVMFactsErrors(t *testing.T) {
	tests := []struct{ name, out string }{
		{"version as number", vmBase + `,"Version":9.0}`},
		{"compatibility as text", vmBase + `,"ProcessorCompatibility":"True"}`},
		{"disk size as text", vmBase + `,"Disks":[{"Path":"D:\\a.vhdx","FileSize":"10 GB","Size":1}]}`},
		{"negative file size", vmBase + `,"Disks":{"Path":"D:\\a.vhdx","FileSize":-1,"Size":1}}`},
		{"disks as text", vmBase + `,"Disks":"D:\\a.vhdx"}`},
		{"switch as number", vmBase + `,"Switches":[1]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseVMs([]byte("[" + tc.out + "]")); !errors.Is(err, ErrUnexpectedOutput) {
				t.Errorf("got %v, want ErrUnexpectedOutput", err)
			}
		})
	}
}
