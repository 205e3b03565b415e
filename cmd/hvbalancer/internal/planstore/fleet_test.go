package planstore_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
)

// fleetSnapshot is snapshot.json of a fleet of hosts and vms, its figures
// drawn from a seeded source so that they vary as measured ones do: what
// the etcd store keeps beside each plan.
func fleetSnapshot(t testing.TB, hosts, vms int) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	taken := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	stat := func(scale float64) collector.Stat {
		m := r.Float64() * scale
		return collector.Stat{Last: m * (0.8 + 0.4*r.Float64()), Mean: m, P95: m * (1 + 0.3*r.Float64()), Max: m * (1.2 + 0.5*r.Float64())}
	}
	guid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
	}
	s := &collector.Snapshot{Version: collector.SnapshotVersion, Taken: taken, WindowSeconds: 300}
	for h := range hosts {
		s.Hosts = append(s.Hosts, collector.Host{
			Name: fmt.Sprintf("HV%04d", h), Cluster: fmt.Sprintf("CL%02d", h/16), Health: collector.HealthOK, LastSeen: taken,
			LogicalProcessors: 64, MemoryBytes: 768 << 30, MigrationEnabled: true, MaxMigrations: 2,
			ProcessorVendor: "GenuineIntel", ProcessorModel: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
			ConfigVersions: []string{"9.0", "10.0", "11.0"}, Switches: []string{"vSwitch-Prod", "vSwitch-Backup"},
			VMPath: `C:\ClusterStorage\Volume1\VMs`, VHDPath: `C:\ClusterStorage\Volume1\VHDs`,
			CPU: stat(80), Memory: stat(90), Samples: 20,
		})
	}
	roles := []string{"web", "sql", "app", "file", "dc", "cache"}
	for i := range vms {
		host := fmt.Sprintf("HV%04d", i%hosts)
		name := fmt.Sprintf("%s-%05d", roles[i%len(roles)], i)
		mem := int64(2+r.IntN(31)) << 30
		s.VMs = append(s.VMs, collector.VM{
			ID: guid(), Name: name, Host: host, State: "Running", CPUs: 2 << r.IntN(4), Clustered: true,
			Notes: "role=" + roles[i%len(roles)], Tags: map[string]string{"role": roles[i%len(roles)]},
			MemoryAssigned: mem, MemoryStartup: mem, MemoryDemand: mem * int64(50+r.IntN(50)) / 100,
			ConfigVersion: "10.0", Switches: []string{"vSwitch-Prod"}, Path: `C:\ClusterStorage\Volume1\VMs\` + name,
			Disks: []collector.Disk{{Path: `C:\ClusterStorage\Volume1\VHDs\` + name + `.vhdx`, Kind: "csv", FileSize: r.Int64N(200 << 30), Size: 256 << 30}},
			CPU:   stat(4), UptimeSeconds: float64(r.IntN(90 * 86400)), Samples: 20,
		})
	}
	s.Sort()
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
