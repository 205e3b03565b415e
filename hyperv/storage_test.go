package hyperv

import "testing"

func TestStorageKindOf(t *testing.T) {
	for _, tc := range []struct {
		path string
		want StorageKind
	}{
		{`D:\Hyper-V\Virtual Hard Disks\web01.vhdx`, StorageLocal},
		{`C:\ProgramData\Microsoft\Windows\Hyper-V`, StorageLocal},
		{`\\fs01.lab.example\vms\web01\disk0.vhdx`, StorageSMB},
		{`\\?\UNC\fs01\vms\web01.vhdx`, StorageSMB},
		{`C:\ClusterStorage\Volume1\sql01\disk0.vhdx`, StorageCSV},
		{`c:/clusterstorage/volume2/x.vhdx`, StorageCSV},
		{`\\?\C:\ClusterStorage\Volume1\x.vhdx`, StorageCSV},
		{`\\?\D:\VMs\x.vhdx`, StorageLocal},
		{`C:\ClusterStorageOld\x.vhdx`, StorageLocal},
	} {
		if got := StorageKindOf(tc.path); got != tc.want {
			t.Errorf("StorageKindOf(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func TestVolumeOf(t *testing.T) {
	vols := []Volume{
		{Path: `C:\`, Kind: StorageLocal},
		{Path: `C:\ClusterStorage\Volume1`, Kind: StorageCSV},
		{Path: `D:\`, Kind: StorageLocal},
		{Path: `\\fs01\vms`, Kind: StorageSMB},
	}
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{`D:\Hyper-V\a.vhdx`, `D:\`, true},
		{`c:\clusterstorage\volume1\sql\a.vhdx`, `C:\ClusterStorage\Volume1`, true},
		{`C:\ClusterStorage\Volume10\a.vhdx`, `C:\`, true},
		{`\\FS01\VMS\web\a.vhdx`, `\\fs01\vms`, true},
		{`\\fs02\vms\a.vhdx`, "", false},
		{`E:\a.vhdx`, "", false},
	} {
		v, ok := VolumeOf(vols, tc.path)
		if ok != tc.ok || v.Path != tc.want {
			t.Errorf("VolumeOf(%q) = %q %v, want %q %v", tc.path, v.Path, ok, tc.want, tc.ok)
		}
	}
}
