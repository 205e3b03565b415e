package balancer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// benchFleet generates a fleet of hosts × vms deterministically: hosts of
// 64 logical processors and 1 TiB in two clusters and four racks, VMs of
// 1..16 vCPUs and 2..12 GiB, about half clustered, one role=sql VM per
// host, some pinned or frozen. The first `hot` hosts carry heavier VMs and
// run at about 85-90 % CPU; the rest at about 45-60 %.
func benchFleet(nHosts, nVMs, hot int) *collector.Snapshot {
	return roleFleet(nHosts, nVMs, hot, 0, 1)
}

// roleFleet is benchFleet with its roles laid out as real fleets have
// them: sqlVMs VMs of role=sql (0: one per host, as benchFleet), three to
// a host on the first hosts (or as many to every host as it takes, when
// there are more than three per host), and
// every tenth VM of a host one of four other roles (web, app, cache,
// batch), clustered on the host's rack. load scales every VM's CPU: 1 gives
// benchFleet's fleet, about 1.6 a dense one near saturation.
func roleFleet(nHosts, nVMs, hot, sqlVMs int, load float64) *collector.Snapshot {
	r := rand.New(rand.NewPCG(1, 2))
	at := time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC) // Saturday night: no business hours
	var hosts []collector.Host
	for i := range nHosts {
		h := newHost(fmt.Sprintf("HV%03d", i), 64, 1024)
		h.Cluster = fmt.Sprintf("cl%d", i*2/nHosts)
		h.Group = fmt.Sprintf("rack-%c", 'a'+i*4/nHosts)
		h.Labels = map[string]string{"rack": h.Group}
		h.CPU.Last = 2 + 3*r.Float64()
		hosts = append(hosts, h)
	}
	per := 3 // sql VMs a sql host holds
	if sqlVMs > 3*nHosts {
		per = (sqlVMs + nHosts - 1) / nHosts
	}
	var vms []collector.VM
	for i := range nVMs {
		hi := i % nHosts
		h := &hosts[hi]
		cpus := []int{1, 2, 2, 4, 4, 8, 16}[r.IntN(7)]
		load := (0.05 + 0.2*r.Float64()) * load // share of its vCPUs in use
		if hi < hot {
			load *= 1.7
		}
		cores := float64(cpus) * load * 0.33
		mem := int64([]int{2, 2, 4, 4, 4, 8, 12}[r.IntN(7)])
		v := newVM(fmt.Sprintf("%08x-vm", i), h.Name, 0, mem)
		v.Name = fmt.Sprintf("vm-%05d", i)
		v.CPUs = cpus
		v.CPU = collector.Stat{Last: cores, Mean: cores * 0.9, P95: cores * 1.1, Max: cores * 1.3}
		v.Clustered = r.IntN(2) == 0
		switch {
		case sqlVMs == 0 && i/nHosts == 0, sqlVMs > 0 && i/nHosts < per && hi*per+i/nHosts < sqlVMs:
			v.Tags = map[string]string{"role": "sql"}
		case sqlVMs > 0 && i/nHosts%10 == 1:
			v.Tags = map[string]string{"role": []string{"web", "app", "cache", "batch"}[hi*4/nHosts]}
		case r.IntN(200) == 0:
			v.Tags = map[string]string{"hvbalancer": "frozen"}
		case r.IntN(100) == 0:
			v.Tags = map[string]string{"pin": h.Name}
		}
		if r.IntN(50) == 0 {
			v.State = "Off"
		}
		vms = append(vms, v)
	}
	s := fleet(hosts, vms)
	s.Taken = at
	for i := range s.Hosts { // a little spread between mean and p95
		h := &s.Hosts[i]
		h.CPU.Mean, h.CPU.P95 = h.CPU.Last-1, h.CPU.Last+1
	}
	return s
}

// withStorage gives a benchmark fleet storage and compatibility facts:
// every host a local D: (2-6 TiB free) as its default disk path, its
// cluster's CSV and the share \\fs01\vms; clustered VMs on the CSV, and of
// the others 70 % on local disks (1-3 disks of 20-200 GiB), 20 % on the
// share and 10 % on the CSV. One host in sixteen has an older processor
// model, one in 21 lacks the switch "prod" that every VM uses, one in 32
// runs configuration versions up to 9.0 only; a fifth of the VMs have
// processor compatibility on and a third are at version 10.0.
func withStorage(s *collector.Snapshot) *collector.Snapshot {
	r := rand.New(rand.NewPCG(3, 4))
	c := *s
	c.Hosts = append([]collector.Host(nil), s.Hosts...)
	c.VMs = append([]collector.VM(nil), s.VMs...)
	cluster := map[string]string{}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		cluster[h.Name] = h.Cluster
		h.ProcessorVendor, h.ProcessorModel = "GenuineIntel", "Intel64 Family 6 Model 106 Stepping 6"
		if i%16 == 15 {
			h.ProcessorModel = "Intel64 Family 6 Model 85 Stepping 7"
		}
		h.ConfigVersions = []string{"8.0", "9.0", "10.0"}
		if i%32 == 31 {
			h.ConfigVersions = []string{"8.0", "9.0"}
		}
		h.Switches = []string{"prod", "backup"}
		if i%21 == 20 {
			h.Switches = []string{"backup"}
		}
		h.VMPath, h.VHDPath = `D:\Hyper-V`, `D:\Hyper-V\Virtual Hard Disks`
		h.Volumes = []collector.Volume{
			{Path: `D:\`, Kind: "local", Size: 8 << 40, Free: int64(2+r.IntN(5)) << 40},
			{Path: `C:\ClusterStorage\Volume1`, Kind: "csv", Size: 32 << 40, Free: 12 << 40},
			{Path: `\\fs01\vms`, Kind: "smb", Size: 64 << 40, Free: 20 << 40},
		}
	}
	for i := range c.VMs {
		v := &c.VMs[i]
		v.ConfigVersion = "9.0"
		if r.IntN(3) == 0 {
			v.ConfigVersion = "10.0"
		}
		v.ProcessorCompatibility = r.IntN(5) == 0
		v.Switches = []string{"prod"}
		dir := `C:\ClusterStorage\Volume1\` + v.Name
		if !v.Clustered {
			switch x := r.IntN(10); {
			case x < 7:
				dir = `D:\Hyper-V\` + v.Name
			case x < 9:
				dir = `\\fs01\vms\` + v.Name
			}
		}
		v.Path = dir
		v.Disks = nil
		for d := range 1 + r.IntN(3) {
			size := int64(20+r.IntN(181)) << 30
			v.Disks = append(v.Disks, collector.Disk{Path: fmt.Sprintf(`%s\disk%d.vhdx`, dir, d), FileSize: size, Size: 2 * size})
		}
	}
	return &c
}

func BenchmarkPlan(b *testing.B) {
	s := withStorage(benchFleet(64, 8000, 4))
	ctx := context.Background()
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B, p *balancer.Plan) {
		b.ReportMetric(float64(p.Search.Judged), "judged/op")
		b.ReportMetric(float64(len(p.Moves)), "moves/op")
		b.ReportMetric(float64(p.Efficacy.StorageMoves), "storage-moves/op")
		b.ReportMetric(float64(len(p.Limited)+p.LimitedOmitted), "limited/op")
		if len(p.Moves) == 0 {
			b.Fatalf("no moves: %s", p.Message)
		}
	}
	b.Run("fake-rules", func(b *testing.B) {
		var p *balancer.Plan
		cpu := cpuMeter(b)
		for b.Loop() {
			if p, err = pl.Plan(ctx, s, &fakeRules{}, "sha256:bench", nil); err != nil {
				b.Fatal(err)
			}
		}
		cpu()
		report(b, p)
	})
	b.Run("fake-rules-refusals", func(b *testing.B) { // 500 remembered Compare-VM refusals
		h := &balancer.History{}
		for i := range 500 {
			v := s.VMs[(i*37)%len(s.VMs)]
			h.Refused = append(h.Refused, balancer.Refusal{VM: v.ID, To: s.Hosts[i%len(s.Hosts)].Name, At: s.Taken.Add(-time.Hour), Cause: "storage_missing"})
		}
		var p *balancer.Plan
		for b.Loop() {
			if p, err = pl.Plan(ctx, s, &fakeRules{}, "sha256:bench", h); err != nil {
				b.Fatal(err)
			}
		}
		report(b, p)
	})
	shipped := func(s *collector.Snapshot) func(b *testing.B) {
		return func(b *testing.B) {
			e, err := policy.Load(policy.Options{Dir: shippedPolicy})
			if err != nil {
				b.Skipf("the policy engine cannot load the shipped policy: %v", err)
			}
			p, evals := planUnderPolicy(b, pl, e, s, policy.History{})
			report(b, p)
			b.ReportMetric(float64(evals), "evaluations/op")
			balancing := 0
			for _, m := range p.Moves {
				if m.Trigger == balancer.TriggerBalance {
					balancing++
				}
			}
			b.ReportMetric(float64(balancing), "balancing-moves/op")
		}
	}
	b.Run("shipped-policy", shipped(s))
	// Roles clustered on hosts: 40 sql VMs three to a host on the first 14
	// hosts (26 anti-affinity requests, each satisfiable).
	b.Run("shipped-policy-roles", shipped(withStorage(roleFleet(64, 8000, 4, 40, 1))))
	// Near saturation, ten sql VMs on every host: 576 anti-affinity
	// requests, none satisfiable.
	b.Run("shipped-policy-dense", shipped(withStorage(roleFleet(64, 8000, 4, 640, 1.6))))
	// Hosts of every size, every VM with a role, roles clustered by rack,
	// near saturation, some hosts stale or unreachable.
	b.Run("shipped-policy-mixed", shipped(withStorage(mixedFleet(64, 8000, 4))))
	b.Run("fake-rules-memory-only", func(b *testing.B) { // the fleet without storage facts
		plain := benchFleet(64, 8000, 4)
		var p *balancer.Plan
		for b.Loop() {
			if p, err = pl.Plan(ctx, plain, &fakeRules{}, "sha256:bench", nil); err != nil {
				b.Fatal(err)
			}
		}
		report(b, p)
	})
	b.Run("policy-input", func(b *testing.B) {
		for b.Loop() {
			balancer.PolicyInput(s, policy.History{}, time.UTC)
		}
	})
}

// BenchmarkLargeFleetPlan plans 1,000 hosts × 50,000 VMs under the shipped
// policy, in the shapes BenchmarkPlan plans 64 × 8,000: one sql VM on every
// host, roles clustered on hosts (3 sql VMs to a host on the first 208),
// ten sql VMs on every host near saturation (anti-affinity requests none of
// which can be met), and the mixed fleet. It is apart from BenchmarkPlan
// for its size.
func BenchmarkLargeFleetPlan(b *testing.B) {
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	e, err := policy.Load(policy.Options{Dir: shippedPolicy})
	if err != nil {
		b.Skipf("the policy engine cannot load the shipped policy: %v", err)
	}
	for _, shape := range largeShapes {
		b.Run(shape.name, func(b *testing.B) {
			p, evals := planUnderPolicy(b, pl, e, withStorage(shape.fleet()), policy.History{})
			b.ReportMetric(float64(p.Search.Judged), "judged/op")
			b.ReportMetric(float64(evals), "evaluations/op")
			b.ReportMetric(float64(len(p.Moves)), "moves/op")
			unmet := 0
			for _, u := range p.Unmet {
				unmet += u.Count
			}
			b.ReportMetric(float64(unmet), "unmet-requests/op")
		})
	}
}

// planUnderPolicy plans s under the policy e with history h, each time
// in a fresh session (nothing cached, as in a round) begun with Start, as
// the daemon's round begins it, and reports cpu-ms/op. It returns the last
// plan and how many evaluations its session ran.
func planUnderPolicy(b *testing.B, pl *balancer.Planner, e *policy.Engine, s *collector.Snapshot, h policy.History) (*balancer.Plan, int) {
	b.Helper()
	ctx := context.Background()
	in := balancer.PolicyInput(s, h, time.UTC)
	var p *balancer.Plan
	evals := 0
	cpu := cpuMeter(b)
	for b.Loop() {
		session, err := e.Start(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if p, err = pl.Plan(ctx, s, session, e.Digest(), nil); err != nil {
			b.Fatal(err)
		}
		evals = session.Evaluations()
	}
	cpu()
	return p, evals
}

// largeShapes are the four fleet shapes at 1,000 hosts × 50,000 VMs, made
// when a benchmark runs them: one sql VM per host, clustered roles,
// anti-affinity-dense and mixed.
var largeShapes = []struct {
	name  string
	fleet func() *collector.Snapshot
}{
	{"one-sql", func() *collector.Snapshot { return roleFleet(1000, 50000, 40, 0, 1) }},
	{"roles", func() *collector.Snapshot { return roleFleet(1000, 50000, 40, 625, 1) }},
	{"dense", func() *collector.Snapshot { return roleFleet(1000, 50000, 40, 10000, 1.6) }},
	{"mixed", func() *collector.Snapshot { return mixedFleet(1000, 50000, 40) }},
}

// cpuMeter starts measuring the process's CPU time; the function it
// returns reports it per operation as cpu-ms/op (where it can be measured).
// Call it right after the benchmark's loop.
func cpuMeter(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, _ := processCPU()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	}
}
