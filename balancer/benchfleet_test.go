package balancer_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
)

// mixedFleet is a fleet as large installations have them: hosts of every
// size (16, 32, 64 and 128 logical processors with 256 GiB to 2 TiB, mixed
// in every rack), each holding VMs in proportion to its size, of at most a
// quarter of its logical processors; every VM has a role, and the roles are
// clustered: a rack runs mostly its own role (web, app, cache or batch), sql
// VMs sit three to a host on the first third of the hosts (anti-affinity
// requests, some satisfiable); the fleet runs near saturation (about 66 %
// CPU and memory on average, the first `hot` hosts and many small ones
// above cpu_high); one host in 25 is stale and one in 40 unreachable, their
// VMs still listed as last seen.
func mixedFleet(nHosts, nVMs, hot int) *collector.Snapshot {
	r := rand.New(rand.NewPCG(5, 6))
	at := time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC) // Saturday night: no business hours
	sizes := []struct {
		lps int
		mem int64
	}{{16, 256}, {32, 512}, {64, 1024}, {128, 2048}}
	var hosts []collector.Host
	var slots []int // host indices, one per 16 logical processors
	for i := range nHosts {
		size := sizes[(i*7)%len(sizes)]
		h := newHost(fmt.Sprintf("HV%04d", i), size.lps, size.mem)
		h.Cluster = fmt.Sprintf("cl%d", i*2/nHosts)
		h.Group = fmt.Sprintf("rack-%c", 'a'+i*4/nHosts)
		h.Labels = map[string]string{"rack": h.Group}
		h.CPU.Last = 2 + 3*r.Float64()
		switch {
		case i%25 == 24:
			h.Health, h.Reason = collector.HealthStale, "no answer for 5m"
		case i%40 == 39:
			h.Health, h.Reason = collector.HealthUnreachable, "connection refused"
		}
		hosts = append(hosts, h)
		for range size.lps / 16 {
			slots = append(slots, i)
		}
	}
	// Scale the VMs' memory so that the fleet holds about 65 % whatever its
	// VMs per host (5.1 GiB is the mean VM drawn below); their CPU is scaled
	// once drawn.
	lps, memGiB := 0, int64(0)
	for _, h := range hosts {
		lps += h.LogicalProcessors
		memGiB += h.MemoryBytes / gib
	}
	memScale := 0.65 * float64(memGiB) / (float64(nVMs) * 5.14)
	sqlHosts := nHosts / 3
	sqlOn := make([]int, nHosts)
	var vms []collector.VM
	for i := range nVMs {
		hi := slots[(i*7919)%len(slots)]
		h := &hosts[hi]
		cpus := min([]int{1, 2, 2, 4, 4, 8, 16}[r.IntN(7)], h.LogicalProcessors/4)
		share := 0.15 + 0.17*r.Float64() // of its vCPUs in use
		if hi < hot {
			share *= 1.2
		}
		cores := float64(cpus) * share * 0.33
		mem := max(1, int64(float64([]int{2, 2, 4, 4, 4, 8, 12}[r.IntN(7)])*memScale+0.5))
		v := newVM(fmt.Sprintf("%08x-vm", i), h.Name, 0, mem)
		v.Name = fmt.Sprintf("vm-%05d", i)
		v.CPUs = cpus
		v.CPU = collector.Stat{Last: cores, Mean: cores * 0.9, P95: cores * 1.1, Max: cores * 1.3}
		v.Clustered = r.IntN(2) == 0
		role := []string{"web", "app", "cache", "batch"}[hi*4/nHosts]
		if r.IntN(4) == 0 { // a quarter of a rack's VMs run another role
			role = []string{"web", "app", "cache", "batch", "dc", "file"}[r.IntN(6)]
		}
		if hi < sqlHosts && sqlOn[hi] < 3 {
			role = "sql"
			sqlOn[hi]++
		}
		v.Tags = map[string]string{"role": role}
		switch {
		case r.IntN(200) == 0:
			v.Tags["hvbalancer"] = "frozen"
		case r.IntN(100) == 0:
			v.Tags["pin"] = h.Name
		}
		v.Notes = "role=" + role
		if r.IntN(50) == 0 {
			v.State = "Off"
		}
		vms = append(vms, v)
	}
	cores := 0.0
	for _, v := range vms {
		if v.Running() {
			cores += v.CPU.Mean
		}
	}
	scale := 0.72 * float64(lps) / cores
	for i := range vms {
		c := &vms[i].CPU
		c.Last, c.Mean, c.P95, c.Max = c.Last*scale, c.Mean*scale, c.P95*scale, c.Max*scale
	}
	s := fleet(hosts, vms)
	s.Taken = at
	for i := range s.Hosts {
		h := &s.Hosts[i]
		h.CPU.Mean, h.CPU.P95 = h.CPU.Last-1, h.CPU.Last+1
	}
	return s
}
