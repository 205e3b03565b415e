package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
)

// scenario is one seeded fleet every contender starts from.
type scenario struct {
	Name        string
	Description string
	Snap        *collector.Snapshot
}

// hostPlan is what a scenario asks of one host before its VMs are drawn.
type hostPlan struct {
	LPs               int
	MemoryGiB         int
	CPU, Memory       float64 // target loads, percent
	Role              string  // the role of the VMs drawn first on it ("" none)
	RoleVMs           int
	MigrationDisabled bool
}

// taken is when every scenario's snapshot was taken: a Monday at 08:00
// UTC, so the shipped policy plans with its business-hours settings.
var taken = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// scenarios returns the seeded scenarios of about hosts hosts each (the
// dense one has half as many again).
func scenarios(seed uint64, hosts int) []scenario {
	dense := hosts + hosts/2
	type shape struct {
		name, desc string
		n          int
		plan       func(r *rand.Rand, i, n int) hostPlan
	}
	sizes := func(r *rand.Rand) (int, int) {
		lps := []int{32, 48, 64}[r.IntN(3)]
		return lps, lps * []int{4, 6, 8}[r.IntN(3)]
	}
	shapes := []shape{
		{"two-hot", fmt.Sprintf("two hot hosts of %d", hosts), hosts, func(r *rand.Rand, i, n int) hostPlan {
			lps, mem := sizes(r)
			p := hostPlan{LPs: lps, MemoryGiB: mem, CPU: 30 + r.Float64()*15, Memory: 35 + r.Float64()*20}
			if i < 2 {
				p.CPU = 90 + r.Float64()*5
			}
			return p
		}},
		{"memory-tight", "memory-tight fleet, three hosts over 92 % memory", hosts, func(r *rand.Rand, i, n int) hostPlan {
			lps, mem := sizes(r)
			p := hostPlan{LPs: lps, MemoryGiB: mem, CPU: 25 + r.Float64()*25, Memory: 78 + r.Float64()*8}
			if i < 3 {
				p.Memory = 93 + r.Float64()*3
			}
			return p
		}},
		{"mixed-sizes", "hosts of 16 to 128 processors, loads 10–90 %, one host with migration disabled", hosts, func(r *rand.Rand, i, n int) hostPlan {
			lps := []int{16, 32, 64, 128}[r.IntN(4)]
			p := hostPlan{LPs: lps, MemoryGiB: lps * []int{4, 8}[r.IntN(2)], CPU: 10 + r.Float64()*80, Memory: 20 + r.Float64()*55}
			p.MigrationDisabled = i == n-1
			return p
		}},
		{"dense", "dense fleet near saturation (70–97 % CPU)", dense, func(r *rand.Rand, i, n int) hostPlan {
			lps, mem := sizes(r)
			return hostPlan{LPs: lps, MemoryGiB: mem, CPU: 70 + r.Float64()*27, Memory: 65 + r.Float64()*20}
		}},
		{"roles", "role=sql clustered three to a host on a quarter of the hosts (anti-affinity), those hosts hot", hosts, func(r *rand.Rand, i, n int) hostPlan {
			lps, mem := sizes(r)
			p := hostPlan{LPs: lps, MemoryGiB: mem, CPU: 35 + r.Float64()*15, Memory: 40 + r.Float64()*20}
			if i < n/4 {
				p.CPU, p.Role, p.RoleVMs = 80+r.Float64()*12, "sql", 3
			}
			return p
		}},
	}
	out := make([]scenario, 0, len(shapes))
	for k, sh := range shapes {
		r := rand.New(rand.NewPCG(seed, uint64(k)))
		plans := make([]hostPlan, sh.n)
		for i := range plans {
			plans[i] = sh.plan(r, i, sh.n)
		}
		out = append(out, scenario{Name: sh.name, Description: sh.desc, Snap: build(r, plans)})
	}
	return out
}

// build draws every host's VMs until the host reaches its target loads and
// returns the sorted snapshot. VM sizes vary: 1–16 virtual processors,
// 2–64 GiB, each busy 10–90 % (50–95 % on a host meant to be hot).
func build(r *rand.Rand, plans []hostPlan) *collector.Snapshot {
	s := &collector.Snapshot{Version: collector.SnapshotVersion, Taken: taken,
		WindowSeconds: (5 * time.Minute).Seconds()}
	seq := 0
	for i, p := range plans {
		h := collector.Host{
			Name: fmt.Sprintf("hv%03d", i+1), Health: collector.HealthOK, LastSeen: taken,
			LogicalProcessors: p.LPs, MemoryBytes: int64(p.MemoryGiB) << 30,
			MigrationEnabled: !p.MigrationDisabled, MaxMigrations: 2, Samples: 10,
		}
		wantCores := p.CPU / 100 * float64(p.LPs)
		wantMem := int64(p.Memory / 100 * float64(h.MemoryBytes))
		var cores float64
		var mem int64
		misses := 0
		for misses < 200 {
			cpus := []int{1, 2, 2, 4, 4, 4, 8, 8, 16}[r.IntN(9)]
			gib := []int64{2, 4, 4, 8, 8, 16, 16, 32, 64}[r.IntN(9)]
			busy := float64(cpus) * (0.1 + r.Float64()*0.8)
			if p.CPU > 70 { // a hot host's VMs are busy ones
				busy = float64(cpus) * (0.5 + r.Float64()*0.45)
			}
			size := gib << 30
			if cores+busy > wantCores || mem+size > wantMem {
				misses++
				continue
			}
			seq++
			v := collector.VM{
				ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", seq), Name: fmt.Sprintf("vm-%d", seq),
				Host: h.Name, State: "Running", CPUs: cpus,
				MemoryAssigned: size, MemoryStartup: size, MemoryDemand: size / 2,
				CPU: flat(busy), UptimeSeconds: (72 * time.Hour).Seconds(), Samples: 10,
			}
			if p.RoleVMs > 0 {
				v.Tags = map[string]string{"role": p.Role}
				v.Notes = "role=" + p.Role
				p.RoleVMs--
			}
			cores += busy
			mem += size
			s.VMs = append(s.VMs, v)
		}
		h.CPU, h.Memory = flat(min(cores/float64(p.LPs)*100, 100)), flat(min(float64(mem)/float64(h.MemoryBytes)*100, 100))
		s.Hosts = append(s.Hosts, h)
	}
	s.Sort()
	return s
}
