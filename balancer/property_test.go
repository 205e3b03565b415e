package balancer_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
	"pgregory.net/rapid"
)

// genSnapshot draws a fleet of 2..20 hosts and 0..300 VMs with random
// sizes, loads, health, clusters and states.
func genSnapshot(t *rapid.T) *collector.Snapshot {
	nh := rapid.IntRange(2, 20).Draw(t, "hosts")
	s := &collector.Snapshot{Version: collector.SnapshotVersion, Taken: taken, WindowSeconds: 300}
	for i := range nh {
		h := collector.Host{
			Name:              fmt.Sprintf("hv%02d", i),
			Cluster:           rapid.SampledFrom([]string{"", "c1", "c2"}).Draw(t, "cluster"),
			Health:            rapid.SampledFrom([]collector.Health{"ok", "ok", "ok", "ok", "ok", "ok", "stale", "unreachable"}).Draw(t, "health"),
			Maintenance:       rapid.IntRange(0, 9).Draw(t, "maint") == 0,
			MigrationEnabled:  rapid.IntRange(0, 9).Draw(t, "migration") != 0,
			LogicalProcessors: rapid.IntRange(4, 128).Draw(t, "lp"),
			MemoryBytes:       int64(rapid.IntRange(32, 1024).Draw(t, "mem")) * gib,
			MaxMigrations:     rapid.IntRange(0, 4).Draw(t, "maxmig"),
		}
		genHostFacts(t, &h)
		h.CPU.Last = rapid.Float64Range(0, 30).Draw(t, "basecpu")
		h.Memory.Last = float64(rapid.IntRange(0, 8).Draw(t, "basemem")) * float64(gib)
		s.Hosts = append(s.Hosts, h)
	}
	nv := rapid.IntRange(0, 300).Draw(t, "vms")
	for i := range nv {
		h := &s.Hosts[rapid.IntRange(0, nh-1).Draw(t, "host")]
		cpus := rapid.IntRange(1, 16).Draw(t, "cpus")
		cores := rapid.Float64Range(0, float64(cpus)/2).Draw(t, "cores")
		v := collector.VM{
			ID:             fmt.Sprintf("vm-%03d", i),
			Name:           fmt.Sprintf("vm %d", i),
			Host:           h.Name,
			State:          rapid.SampledFrom([]string{"Running", "Running", "Running", "Running", "Running", "Off", "Saved", "Paused"}).Draw(t, "state"),
			CPUs:           cpus,
			Clustered:      h.Cluster != "" && rapid.Bool().Draw(t, "clustered"),
			MemoryAssigned: int64(rapid.IntRange(1, 24).Draw(t, "vmmem")) * gib,
			CPU: collector.Stat{
				Mean: cores * rapid.Float64Range(0.7, 1).Draw(t, "vmmean"),
				P95:  cores * rapid.Float64Range(1, 1.3).Draw(t, "vmp95"),
			},
		}
		genVMFacts(t, &v, h)
		s.VMs = append(s.VMs, v)
		if v.Running() {
			h.CPU.Max += (v.CPU.Mean + v.CPU.P95) / 2 / float64(h.LogicalProcessors) * 100
		}
		h.Memory.Max += float64(v.MemoryAssigned)
	}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		c := h.CPU.Last + h.CPU.Max
		m := (h.Memory.Last + h.Memory.Max) / float64(h.MemoryBytes) * 100
		j := rapid.Float64Range(0, 10).Draw(t, "jitter")
		h.CPU = collector.Stat{Last: c, Mean: c - j, P95: c + j, Max: c + 2*j}
		h.Memory = collector.Stat{Last: m, Mean: m, P95: m, Max: m}
	}
	return s
}

// genHostFacts draws what a host offers a VM, each fact sometimes unknown:
// processor, configuration versions, switches, default paths and volumes
// (a local D: of random free space, and shares).
func genHostFacts(t *rapid.T, h *collector.Host) {
	h.ProcessorVendor = rapid.SampledFrom([]string{"", "GenuineIntel", "GenuineIntel", "GenuineIntel", "GenuineIntel", "GenuineIntel", "AuthenticAMD"}).Draw(t, "vendor")
	h.ProcessorModel = rapid.SampledFrom([]string{"", "Intel64 Family 6 Model 106 Stepping 6", "Intel64 Family 6 Model 106 Stepping 4", "Intel64 Family 6 Model 85 Stepping 7"}).Draw(t, "model")
	h.ConfigVersions = rapid.SampledFrom([][]string{nil, {"8.0", "9.0", "10.0"}, {"8.0", "9.0", "10.0"}, {"8.0", "9.0"}}).Draw(t, "versions")
	h.Switches = rapid.SampledFrom([][]string{nil, {"prod", "backup"}, {"Prod", "backup"}, {"prod"}, {"mgmt"}}).Draw(t, "switches")
	if rapid.IntRange(0, 4).Draw(t, "novhdpath") != 0 {
		h.VHDPath = `D:\Hyper-V\Virtual Hard Disks`
	}
	if rapid.IntRange(0, 3).Draw(t, "volumes") != 0 {
		free := int64(rapid.IntRange(0, 300).Draw(t, "free")) * gib
		h.Volumes = append(h.Volumes, collector.Volume{Path: `D:\`, Kind: "local", Size: 4000 * gib, Free: free})
		for _, share := range []string{`\\fs01\vms`, `\\fs02\vms`} {
			if rapid.Bool().Draw(t, "share") {
				h.Volumes = append(h.Volumes, collector.Volume{Path: share, Kind: "smb", Size: 1 << 50, Free: 1 << 49})
			}
		}
	}
}

// genVMFacts draws what a VM needs and where its files are: often none of
// it (an older snapshot), else local disks, a share, or a CSV for a VM on
// a cluster node.
func genVMFacts(t *rapid.T, v *collector.VM, h *collector.Host) {
	v.ConfigVersion = rapid.SampledFrom([]string{"", "9.0", "10.0"}).Draw(t, "vmversion")
	v.ProcessorCompatibility = rapid.Bool().Draw(t, "compat")
	v.Switches = rapid.SampledFrom([][]string{nil, {"prod"}, {"prod", "backup"}, {"PROD"}}).Draw(t, "vmswitches")
	where := rapid.SampledFrom([]string{"", `D:\VMs\` + v.ID, `D:\VMs\` + v.ID, `D:\VMs\` + v.ID, `\\fs01\vms\` + v.ID, `\\fs02\vms\` + v.ID, `C:\ClusterStorage\Volume1\` + v.ID}).Draw(t, "where")
	if where == "" || (strings.HasPrefix(where, `C:`) && h.Cluster == "") {
		return
	}
	v.Path = where
	for range rapid.IntRange(0, 3).Draw(t, "disks") {
		size := int64(rapid.IntRange(1, 60).Draw(t, "disk")) * gib
		v.Disks = append(v.Disks, collector.Disk{Path: where + `\disk.vhdx`, FileSize: size, Size: 2 * size})
	}
}

// hash01 maps strings to [0, 1), for deterministic random verdicts.
func hash01(parts ...string) float64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()%1000) / 1000
}

// genRules draws a fake policy: frozen VMs, requests, and deterministic
// deny and penalty functions.
func genRules(t *rapid.T, s *collector.Snapshot) func() *fakeRules {
	frozen := map[string]bool{}
	for _, v := range s.VMs {
		if rapid.IntRange(0, 9).Draw(t, "frozen") == 0 {
			frozen[v.ID] = true
		}
	}
	vmIDs := []string{"ghost"}
	for _, v := range s.VMs {
		vmIDs = append(vmIDs, v.ID)
	}
	hostNames := []string{"", "", "hv99"}
	for _, h := range s.Hosts {
		hostNames = append(hostNames, h.Name)
	}
	var reqs []policy.Request
	for range rapid.IntRange(0, 6).Draw(t, "requests") {
		reqs = append(reqs, policy.Request{
			VM:       rapid.SampledFrom(vmIDs).Draw(t, "reqvm"),
			To:       rapid.SampledFrom(hostNames).Draw(t, "reqto"),
			Reason:   "test",
			Priority: rapid.IntRange(0, 3).Draw(t, "prio"),
		})
	}
	denyRate := rapid.SampledFrom([]float64{0, 0, 0.2, 0.6, 1}).Draw(t, "deny")
	penalty := rapid.SampledFrom([]float64{0, 0, 1, 5}).Draw(t, "penalty")
	var settings policy.Settings
	if rapid.Bool().Draw(t, "override") {
		settings.MaxMoves = intp(rapid.IntRange(0, 5).Draw(t, "policymaxmoves"))
	}
	return func() *fakeRules {
		return &fakeRules{
			settings: settings,
			requests: reqs,
			frozen:   frozen,
			deny: func(m policy.Move, p policy.Projected) []string {
				if hash01(m.VM, m.To, "deny") < denyRate {
					return []string{"denied " + m.VM + " to " + m.To}
				}
				return nil
			},
			penalty: func(m policy.Move, _ policy.Projected) float64 { return penalty * hash01(m.VM, m.To) },
		}
	}
}

func genConfig(t *rapid.T) balancer.Config {
	c := balancer.DefaultConfig()
	c.Aggressiveness = rapid.IntRange(1, 5).Draw(t, "aggr")
	c.MaxMoves = rapid.IntRange(0, 15).Draw(t, "maxmoves")
	c.MaxInflowPerHost = rapid.IntRange(1, 3).Draw(t, "inflow")
	c.MemoryReserveBytes = int64(rapid.IntRange(0, 16).Draw(t, "reserve")) * gib
	c.CPUCeiling = rapid.Float64Range(40, 100).Draw(t, "ceiling")
	c.CPUHigh = rapid.Float64Range(30, 95).Draw(t, "cpuhigh")
	c.MemoryHigh = rapid.Float64Range(30, 95).Draw(t, "memhigh")
	c.TargetSpread = rapid.Float64Range(0, 15).Draw(t, "target")
	c.CPUWeight = rapid.SampledFrom([]float64{0, 0.5, 1, 2}).Draw(t, "wc")
	c.MemoryWeight = rapid.SampledFrom([]float64{0.5, 1}).Draw(t, "wm")
	c.MigrationCostWeight = rapid.SampledFrom([]float64{0, 0.25, 1}).Draw(t, "wcost")
	c.StorageReserveBytes = int64(rapid.IntRange(0, 100).Draw(t, "storagereserve")) * gib
	if rapid.Bool().Draw(t, "storagepaths") {
		c.StoragePaths = map[string]string{"hv01": `E:\VMs`, "hv02": `D:\Other`}
	}
	return c
}

func genRecent(t *rapid.T, s *collector.Snapshot) map[string]time.Time {
	recent := map[string]time.Time{}
	for _, v := range s.VMs {
		if rapid.IntRange(0, 7).Draw(t, "recent") == 0 {
			recent[v.ID] = taken.Add(-time.Duration(rapid.IntRange(0, 180).Draw(t, "ago")) * time.Minute)
		}
	}
	return recent
}

func TestPlanProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSnapshot(t)
		newRules := genRules(t, s)
		cfg := genConfig(t)
		recent := genRecent(t, s)
		pl, err := balancer.NewPlanner(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		rules := newRules()
		p, err := pl.Plan(context.Background(), s, rules, "sha256:prop", &balancer.History{LastMoved: recent})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, s, cfg, rules, recent, p)

		// Determinism: the same inputs, even shuffled, give the same bytes.
		shuffled := *s
		shuffled.Hosts = append([]collector.Host(nil), s.Hosts...)
		shuffled.VMs = append([]collector.VM(nil), s.VMs...)
		for i := len(shuffled.VMs) - 1; i > 0; i-- {
			j := int(hash01(shuffled.VMs[i].ID) * float64(i+1))
			shuffled.VMs[i], shuffled.VMs[j] = shuffled.VMs[j], shuffled.VMs[i]
		}
		shuffled.Hosts[0], shuffled.Hosts[len(shuffled.Hosts)-1] = shuffled.Hosts[len(shuffled.Hosts)-1], shuffled.Hosts[0]
		p2, err := pl.Plan(context.Background(), &shuffled, newRules(), "sha256:prop", &balancer.History{LastMoved: recent})
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		if err := p.WriteJSON(&a); err != nil {
			t.Fatal(err)
		}
		if err := p2.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("planning twice differs:\n%s", cmp.Diff(a.String(), b.String()))
		}
		back, err := balancer.ReadPlan(&a)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Fatalf("plan changed through JSON (-want +got):\n%s", diff)
		}
	})
}
