package fleetfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const storageFleetPath = "../../../examples/fleets/storage.yaml"

func TestLayoutOfAFleetThatSaysNoStorage(t *testing.T) {
	s, err := ParseFleet([]byte(`
domain: corp.example
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128}
  - {name: HV02, logical_processors: 16, memory_gib: 128, cluster: CL01}
  - {name: HV03, logical_processors: 16, memory_gib: 128, cluster: CL01}
vms:
  - {name: "web/01", host: HV01, cpus: 2, memory_gib: 4}
  - {name: sql01, host: HV02, cpus: 2, memory_gib: 4, clustered: true, disks_gib: [60, 500]}
`))
	if err != nil {
		t.Fatal(err)
	}
	host := HostLayout{
		Processor:      ProcessorSpec{Vendor: "GenuineIntel", Model: "Intel64 Family 6 Model 106 Stepping 6"},
		ConfigVersions: []string{"8.0", "8.1", "8.2", "8.3", "9.0", "9.1", "9.2", "9.3", "10.0"},
		Switches:       []string{"LAN"}, Language: "en-US", VMPath: `D:\Hyper-V`, VHDPath: `D:\Hyper-V\Virtual Hard Disks`,
		Volumes: []VolumeSpec{{Path: `C:\`, SizeGiB: 127}, {Path: `D:\`, SizeGiB: 4096}},
	}
	want := Layout{
		Hosts: []HostLayout{host, host, host},
		VMs: []VMLayout{
			{ConfigVersion: "9.0", Switches: []string{"LAN"}, Path: `\\fs01.corp.example\vms\web_01`,
				Disks: []DiskLayout{{Path: `\\fs01.corp.example\vms\web_01\web_01.vhdx`, FileGiB: 40, MaxGiB: 127}}},
			{ConfigVersion: "9.0", Switches: []string{"LAN"}, Path: `C:\ClusterStorage\Volume1\sql01`,
				Disks: []DiskLayout{
					{Path: `C:\ClusterStorage\Volume1\sql01\sql01.vhdx`, FileGiB: 60, MaxGiB: 127},
					{Path: `C:\ClusterStorage\Volume1\sql01\sql01_1.vhdx`, FileGiB: 500, MaxGiB: 500},
				}},
		},
		Shares: []ShareSpec{{Path: `\\fs01.corp.example\vms`, SizeGiB: 16384, Hosts: []string{"HV01", "HV02", "HV03"}}},
		CSVs:   []CSVSpec{{Cluster: "CL01", Path: `C:\ClusterStorage\Volume1`, SizeGiB: 4096}},
	}
	if diff := cmp.Diff(want, s.Layout()); diff != "" {
		t.Errorf("layout (-want +got):\n%s", diff)
	}
	if s.Shares != nil || s.CSVs != nil || s.Hosts[0].Switches != nil || s.VMs[0].Storage != "" {
		t.Errorf("Layout or the defaults wrote into the spec: %+v", s)
	}
}

func TestLoadFleetStorageExample(t *testing.T) {
	s, err := LoadFleet(storageFleetPath)
	if err != nil {
		t.Fatal(err)
	}
	l := s.Layout()
	kinds := map[string]int{}
	for _, v := range l.VMs {
		kinds[StorageKindOf(v.Disks[0].Path)]++
	}
	if kinds[KindLocal] == 0 || kinds[KindSMB] == 0 || kinds[KindCSV] == 0 {
		t.Errorf("VMs by storage kind %v, want some of each", kinds)
	}
	var german, older, lacking int
	for _, h := range l.Hosts {
		if h.Language == "de-DE" {
			german++
		}
		if h.Processor.Model != DefaultProcessorModel {
			older++
		}
		if !cmp.Equal(h.Switches, []string{"LAN", "Backup"}) {
			lacking++
		}
	}
	if german != 1 || older != 1 || lacking != 1 {
		t.Errorf("%d de-DE hosts, %d with another processor, %d lacking a switch; want one of each", german, older, lacking)
	}
}

func TestParseFleetStorageInvalid(t *testing.T) {
	const hosts = `
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128, switches: [LAN], volumes: [{path: 'C:\', size_gib: 100}, {path: 'D:\', size_gib: 100}]}
  - {name: HV02, logical_processors: 16, memory_gib: 128, cluster: CL01, config_versions: ['8.0', '9.0']}
`
	tests := []struct{ name, yaml, want string }{
		{
			name: "host keys",
			yaml: `
hosts:
  - name: HV01
    logical_processors: 16
    memory_gib: 128
    processor: {vendor: Cyrix, model: " "}
    config_versions: ['9.0', nine, '9.0']
    switches: [LAN, lan, ""]
    language: fr-FR
    volumes: [{path: 'D:\data', size_gib: 0}, {path: 'E:\', size_gib: 10}, {path: 'e:\', size_gib: 10}]
    vm_path: '\\fs01\vms'
vms: []
`,
			want: `hosts[0].processor.vendor: must be GenuineIntel or AuthenticAMD
hosts[0].processor.model: must not be blank
hosts[0].config_versions[1]: "nine" is not a configuration version such as 9.0
hosts[0].config_versions[2]: 9.0 is listed twice
hosts[0].switches[1]: switch "lan" is listed twice
hosts[0].switches[2]: must not be blank
hosts[0].language: must be one of en-US, de-DE
hosts[0].volumes[0].path: must be a drive root such as D:\
hosts[0].volumes[0].size_gib: must be > 0
hosts[0].volumes[2].path: e:\ is listed twice
hosts[0].vm_path: must be a folder on a local volume, such as D:\Hyper-V
hosts[0].vhd_path: D:\Hyper-V\Virtual Hard Disks is on no volume of the host`,
		},
		{
			name: "shares and CSVs",
			yaml: hosts + `
shares:
  - {path: 'fs01\vms', size_gib: 0, hosts: [HV01, HV09]}
  - {path: '\\fs02\vms', size_gib: 100}
  - {path: '\\FS02\VMS', size_gib: 100}
csvs:
  - {cluster: CL09, path: 'D:\csv'}
  - {cluster: CL01, size_gib: -1}
vms: []
`,
			want: `shares[0].path: must be a UNC path \\server\share
shares[0].size_gib: must be > 0
shares[0].hosts[1]: unknown host "HV09"
shares[2].path: duplicate path \\FS02\VMS (also shares[1])
csvs[0].cluster: no host is a node of cluster "CL09"
csvs[0].path: must be C:\ClusterStorage\<volume>
csvs[1].size_gib: must be >= 0 (0: sized to its files)`,
		},
		{
			name: "VMs against their hosts",
			yaml: hosts + `
shares:
  - {path: '\\fs01\vms', size_gib: 50, hosts: [HV01]}
vms:
  - {name: a, host: HV01, cpus: 1, memory_gib: 1, switches: [LAN, Storage], config_version: '10.0', storage: csv}
  - {name: b, host: HV02, cpus: 1, memory_gib: 1, storage: '\\fs01\vms', config_version: '9.1'}
  - {name: c, host: HV02, cpus: 1, memory_gib: 1, storage: local, clustered: true, disks_gib: [0]}
  - {name: d, host: HV01, cpus: 1, memory_gib: 1, storage: 'E:\VMs'}
  - {name: e, host: HV01, cpus: 1, memory_gib: 1, storage: '\\fs09\vms', config_version: v9}
  - {name: f, host: HV02, cpus: 1, memory_gib: 1, storage: 'C:\ClusterStorage\Volume7'}
`,
			want: `vms[0].storage: host HV01 is in no cluster, so it has no CSV
vms[0].switches[1]: switch "Storage" does not exist on host HV01 (it has LAN)
vms[1].storage: host HV02 does not reach share \\fs01\vms
vms[1].config_version: 9.1 is not supported by host HV02 (it runs 8.0, 9.0)
vms[2].storage: a clustered VM must be on a CSV or a share its cluster's nodes reach, not local
vms[2].disks_gib[0]: must be > 0
vms[3].storage: must be local, csv, the path of a share (\\server\share) or of a CSV (C:\ClusterStorage\VolumeN)
vms[4].storage: share \\fs09\vms is not declared in shares
vms[4].config_version: "v9" is not a configuration version such as 9.0
vms[5].storage: C:\ClusterStorage\Volume7 is not a CSV of host HV02's cluster`,
		},
		{
			name: "volumes too small for their files",
			yaml: hosts + `
shares:
  - {path: '\\fs01\vms', size_gib: 50}
csvs:
  - {cluster: CL01, size_gib: 30}
vms:
  - {name: a, host: HV01, cpus: 1, memory_gib: 1, storage: local, disks_gib: [60, 60]}
  - {name: b, host: HV01, cpus: 1, memory_gib: 1, disks_gib: [60]}
  - {name: c, host: HV02, cpus: 1, memory_gib: 1, clustered: true, disks_gib: [20, 20]}
  - {name: d, host: HV02, cpus: 1, memory_gib: 1, storage: local, disks_gib: [5000]}
`,
			want: `hosts[0].volumes[1].size_gib: local disks need 120 GiB on D:\ but it holds 100 GiB
hosts[1].volumes: local disks need 5000 GiB on D:\ but it holds 4096 GiB
shares[0].size_gib: disks need 60 GiB on \\fs01\vms but it holds 50 GiB
csvs[0].size_gib: disks need 40 GiB on C:\ClusterStorage\Volume1 but it holds 30 GiB`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseFleet([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("ParseFleet accepted it: %+v", s)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEachClusterHasItsOwnVolume1(t *testing.T) {
	s, err := ParseFleet([]byte(`
csvs:
  - {cluster: CL01, size_gib: 50}
  - {cluster: CL02, size_gib: 50}
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128, cluster: CL01}
  - {name: HV02, logical_processors: 16, memory_gib: 128, cluster: CL02}
vms:
  - {name: a, host: HV01, cpus: 1, memory_gib: 1, clustered: true}
  - {name: b, host: HV02, cpus: 1, memory_gib: 1, clustered: true}
`))
	if err != nil {
		t.Fatalf("two clusters' 40 GiB each on their own 50 GiB Volume1: %v", err)
	}
	l := s.Layout()
	if l.CSVs[0].Path != `C:\ClusterStorage\Volume1` || l.CSVs[1].Path != `C:\ClusterStorage\Volume1` {
		t.Errorf("CSVs = %+v, want Volume1 in each cluster", l.CSVs)
	}
}
