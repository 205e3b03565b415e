package hyperv

import (
	"math/rand/v2"
	"strings"
	"testing"
)

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

// StorageKindOf classifies every path as lower-casing the whole path with /
// as \ did, on drawn paths made of the pieces its prefixes are made of.
func TestStorageKindOfAsTheWholeLowerCasedPath(t *testing.T) {
	whole := func(path string) StorageKind {
		p := strings.ToLower(strings.ReplaceAll(path, "/", `\`))
		switch {
		case strings.HasPrefix(p, `\\?\unc\`), strings.HasPrefix(p, `\\`) && !strings.HasPrefix(p, `\\?\`) && !strings.HasPrefix(p, `\\.\`):
			return StorageSMB
		case strings.HasPrefix(strings.TrimPrefix(p, `\\?\`), csvRoot):
			return StorageCSV
		}
		return StorageLocal
	}
	pieces := []string{`\`, `/`, `\\`, `?`, `.`, `unc`, `UNC`, `C:`, `c:`, `D:`, `ClusterStorage`, `clusterstorage`, `CLUSTERSTORAGE`, `Volume1`, "İ", "\u212a", "é", "\xff", "x"}
	r := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(7) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		path := b.String()
		if got, want := StorageKindOf(path), whole(path); got != want {
			t.Fatalf("StorageKindOf(%q) = %s, want %s", path, got, want)
		}
	}
}
