package fleetfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckpointsMakeADiskChain: a VM with checkpoints has, per disk, its
// .vhdx and one differencing .avhdx per checkpoint, each a tenth of the
// .vhdx and the child of the one before; their bytes count against the
// volume; more checkpoints than Hyper-V keeps, or fewer than none, are
// refused.
func TestCheckpointsMakeADiskChain(t *testing.T) {
	s, err := ParseFleet([]byte(`
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128}
vms:
  - {name: db, host: HV01, cpus: 2, memory_gib: 4, storage: local, disks_gib: [40, 100], checkpoints: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	dir := `D:\Hyper-V\Virtual Hard Disks\`
	want := []DiskLayout{
		{Path: dir + "db.vhdx", FileGiB: 40, MaxGiB: 127},
		{Path: dir + "db_00000000-0000-4000-8000-000000000001.avhdx", FileGiB: 4, MaxGiB: 127, Parent: dir + "db.vhdx"},
		{Path: dir + "db_00000000-0000-4000-8000-000000000002.avhdx", FileGiB: 4, MaxGiB: 127, Parent: dir + "db_00000000-0000-4000-8000-000000000001.avhdx"},
		{Path: dir + "db_1.vhdx", FileGiB: 100, MaxGiB: 127},
		{Path: dir + "db_1_00000001-0000-4000-8000-000000000001.avhdx", FileGiB: 10, MaxGiB: 127, Parent: dir + "db_1.vhdx"},
		{Path: dir + "db_1_00000001-0000-4000-8000-000000000002.avhdx", FileGiB: 10, MaxGiB: 127, Parent: dir + "db_1_00000001-0000-4000-8000-000000000001.avhdx"},
	}
	if diff := cmp.Diff(want, s.Layout().VMs[0].Disks); diff != "" {
		t.Errorf("disks (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ yaml, want string }{
		{`{name: db, host: HV01, cpus: 2, memory_gib: 4, checkpoints: 51}`, "vms[0].checkpoints: 51 is not in 0..50"},
		{`{name: db, host: HV01, cpus: 2, memory_gib: 4, checkpoints: -1}`, "vms[0].checkpoints: -1 is not in 0..50"},
		{`{name: db, host: HV01, cpus: 2, memory_gib: 4, storage: local, disks_gib: [90], checkpoints: 5}`,
			`hosts[0].volumes[1].size_gib: local disks need 135 GiB on D:\ but it holds 100 GiB`},
	} {
		_, err := ParseFleet([]byte(`
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128, volumes: [{path: 'C:\', size_gib: 127}, {path: 'D:\', size_gib: 100}]}
vms:
  - ` + tc.yaml + "\n"))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
