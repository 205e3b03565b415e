package balancer_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// ruleShapes are the 64-host, 8,000-VM fleets the every-rule benchmarks
// plan on: one sql VM a host, roles clustered on hosts, a dense fleet near
// saturation and a fleet of mixed host sizes.
var ruleShapes = []struct {
	name  string
	fleet func() *collector.Snapshot
}{
	{"one-sql", func() *collector.Snapshot { return benchFleet(64, 8000, 4) }},
	{"roles", func() *collector.Snapshot { return roleFleet(64, 8000, 4, 40, 1) }},
	{"dense", func() *collector.Snapshot { return roleFleet(64, 8000, 4, 640, 1.6) }},
	{"mixed", func() *collector.Snapshot { return mixedFleet(64, 8000, 4) }},
}

// BenchmarkPlanEveryRule is the cost of the shipped policy with every rule
// switched on, beside allow-all and the policy as shipped, on each of
// BenchmarkPlan's 64 × 8,000 shapes. The fleets are those shapes with the
// tags and labels the rules that are off by default need (withRuleTags)
// and a day of moves (ruleHistory); every-rule's data (everyRuleSettings)
// turns on each guard, VM–host rules, business hours all week (with the
// planner settings of the night, so that the plans compare) and the
// storage limit. allow-all and shipped plan the same tagged fleets; the
// -begin cases measure beginning a session alone, the part of a plan's CPU
// that does not grow with the candidates judged.
func BenchmarkPlanEveryRule(b *testing.B) {
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	shipped, err := policy.Load(policy.Options{Dir: shippedPolicy})
	if err != nil {
		b.Fatalf("the shipped policy: %v", err)
	}
	every, err := policy.Load(policy.Options{Dir: everyRulePolicy(b)})
	if err != nil {
		b.Fatalf("the shipped policy with every rule on: %v", err)
	}
	for _, shape := range ruleShapes {
		s := withRuleTags(withStorage(shape.fleet()))
		h := ruleHistory(s)
		b.Run(shape.name+"/allow-all", func(b *testing.B) {
			var p *balancer.Plan
			cpu := cpuMeter(b)
			for b.Loop() {
				if p, err = pl.Plan(context.Background(), s, &fakeRules{}, "sha256:bench", nil); err != nil {
					b.Fatal(err)
				}
			}
			cpu()
			reportRules(b, p, 0)
		})
		b.Run(shape.name+"/shipped", func(b *testing.B) {
			p, evals := planUnderPolicy(b, pl, shipped, s, h)
			reportRules(b, p, evals)
		})
		b.Run(shape.name+"/every-rule", func(b *testing.B) {
			p, evals := planUnderPolicy(b, pl, every, s, h)
			reportRules(b, p, evals)
		})
		// What a plan under each policy spends before its search: the
		// session's conversion of the fleet and its session rules.
		for _, e := range []struct {
			name string
			e    *policy.Engine
		}{{"shipped-begin", shipped}, {"every-rule-begin", every}} {
			b.Run(shape.name+"/"+e.name, func(b *testing.B) {
				in := balancer.PolicyInput(s, h, time.UTC)
				cpu := cpuMeter(b)
				for b.Loop() {
					if _, err := e.e.Begin(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
				cpu()
			})
		}
	}
}

// BenchmarkLargeFleetPlanEveryRule is BenchmarkLargeFleetPlan's 1,000 ×
// 50,000 shapes planned under the shipped policy with every rule on, the
// fleets tagged and given a day of moves as BenchmarkPlanEveryRule's (the
// shipped policy's figures at this size are BenchmarkLargeFleetPlan's).
func BenchmarkLargeFleetPlanEveryRule(b *testing.B) {
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	every, err := policy.Load(policy.Options{Dir: everyRulePolicy(b)})
	if err != nil {
		b.Fatalf("the shipped policy with every rule on: %v", err)
	}
	for _, shape := range largeShapes {
		b.Run(shape.name, func(b *testing.B) {
			s := withRuleTags(withStorage(shape.fleet()))
			p, evals := planUnderPolicy(b, pl, every, s, ruleHistory(s))
			reportRules(b, p, evals)
		})
	}
}

// BenchmarkJudgeEveryRule is one candidate judged under the shipped policy
// with every rule on, on BenchmarkPlanEveryRule's tagged shapes with a day
// of moves, each judgement a different candidate in one session: a VM
// (7,919 apart in ID order, across the fleet) from its host to another,
// the destination projected at 50 % CPU and memory, under its limits, so
// that every rule's body runs. What a session keeps for every candidate is
// built by the first judgement, before the timer starts; the figures are
// what each further candidate costs.
func BenchmarkJudgeEveryRule(b *testing.B) {
	every, err := policy.Load(policy.Options{Dir: everyRulePolicy(b)})
	if err != nil {
		b.Fatalf("the shipped policy with every rule on: %v", err)
	}
	for _, shape := range ruleShapes {
		s := withRuleTags(withStorage(shape.fleet()))
		in := balancer.PolicyInput(s, ruleHistory(s), time.UTC)
		moves, projs := spreadCandidates(in, 4096)
		b.Run(shape.name, func(b *testing.B) {
			ctx := context.Background()
			var r *policy.Session
			begin := func() {
				if r, err = every.Begin(ctx, in); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Judge(ctx, moves[0], projs[0]); err != nil {
					b.Fatal(err)
				}
			}
			begin()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 1; b.Loop(); i++ {
				k := i % len(moves)
				if k == 0 {
					b.StopTimer()
					begin()
					b.StartTimer()
					continue
				}
				if _, err := r.Judge(ctx, moves[k], projs[k]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// spreadCandidates is n candidates of in for BenchmarkJudgeEveryRule.
func spreadCandidates(in *policy.Input, n int) ([]policy.Move, []policy.Projected) {
	hosts := slices.Sorted(maps.Keys(in.Fleet.Hosts))
	ids := slices.Sorted(maps.Keys(in.Fleet.VMs))
	var moves []policy.Move
	var projs []policy.Projected
	for i := 0; len(moves) < n; i++ {
		id := ids[(i*7919)%len(ids)]
		vm := in.Fleet.VMs[id]
		to := hosts[(i*31)%len(hosts)]
		if to == vm.Host {
			continue
		}
		src, dst := in.Fleet.Hosts[vm.Host], in.Fleet.Hosts[to]
		onto := append(slices.Clone(dst.VMs), id)
		slices.Sort(onto)
		var memory int64
		for _, v := range onto {
			memory += in.Fleet.VMs[v].MemoryBytes
		}
		moves = append(moves, policy.Move{VM: id, From: vm.Host, To: to})
		projs = append(projs, policy.Projected{
			From: policy.HostLoad{CPU: src.CPU.Mean, Memory: src.Memory.Mean,
				VMs: slices.DeleteFunc(slices.Clone(src.VMs), func(v string) bool { return v == id })},
			To: policy.HostLoad{CPU: 50, Memory: 50, VMs: onto, VMMemoryBytes: memory},
		})
	}
	return moves, projs
}

// reportRules reports what the plan did and what refused it: the guards'
// and the VM–host rules' denials among its rejections show that the rules
// were judged, not skipped.
func reportRules(b *testing.B, p *balancer.Plan, evals int) {
	b.Helper()
	unmet := 0
	for _, u := range p.Unmet {
		unmet += u.Count
	}
	guards, vmHost := 0, 0
	all := p.Rejected
	for _, m := range p.Moves {
		all = append(all, m.Rejected...)
	}
	for _, r := range all {
		for _, msg := range r.Messages {
			switch {
			case strings.Contains(msg, ": guard "):
				guards++
			case strings.Contains(msg, ": vm_host_rule "):
				vmHost++
			}
		}
	}
	b.ReportMetric(float64(p.Search.Judged), "judged/op")
	b.ReportMetric(float64(evals), "evaluations/op")
	b.ReportMetric(float64(len(p.Moves)), "moves/op")
	b.ReportMetric(float64(unmet), "unmet-requests/op")
	b.ReportMetric(float64(guards), "guard-denials/op")
	b.ReportMetric(float64(vmHost), "vm-host-denials/op")
}

// withRuleTags gives a benchmark fleet what the rules off by default
// read: the last four hosts are tenant acme's (label tenant=acme, their
// VMs tagged tenant=acme), the first two VMs of every eighth host are kept
// together (together=pair-HOST), and every tenth VM of a rack-a host is
// tagged tier=gold.
func withRuleTags(s *collector.Snapshot) *collector.Snapshot {
	c := *s
	c.Hosts = append([]collector.Host(nil), s.Hosts...)
	c.VMs = append([]collector.VM(nil), s.VMs...)
	index := map[string]int{}
	acme := map[string]bool{}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		index[h.Name] = i
		if i >= len(c.Hosts)-4 {
			h.Labels = maps.Clone(h.Labels)
			if h.Labels == nil {
				h.Labels = map[string]string{}
			}
			h.Labels["tenant"] = "acme"
			acme[h.Name] = true
		}
	}
	seen := map[string]int{}
	for i := range c.VMs {
		v := &c.VMs[i]
		n := seen[v.Host]
		seen[v.Host]++
		tags := maps.Clone(v.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		if acme[v.Host] {
			tags["tenant"] = "acme"
		}
		if n < 2 && index[v.Host]%8 == 0 {
			tags["together"] = "pair-" + v.Host
		}
		if c.Hosts[index[v.Host]].Group == "rack-a" && n%10 == 5 {
			tags["tier"] = "gold"
		}
		v.Tags = tags
	}
	return &c
}

// ruleHistory is a day of moves for s: one VM in 67 has moved twice
// (move_cap's limit below), one in 17 once; the primes spread them over
// the hosts, which the shapes fill in turn.
func ruleHistory(s *collector.Snapshot) policy.History {
	h := policy.History{MovesByVM: map[string]int{}}
	for i, v := range s.VMs {
		switch {
		case i%67 == 0:
			h.MovesByVM[v.ID] = 2
		case i%17 == 1:
			h.MovesByVM[v.ID] = 1
		}
	}
	return h
}

// everyRuleSettings switches on every rule of the shipped policy that is
// off by default, with the limits an administrator of these fleets would
// write, not limits chosen to refuse the planner's moves: business hours
// all week (the large-VM and storage limits judge every move) with the
// night's planner settings; large_vm at 32 GiB (half a minute of copying
// on a 10 GbE migration network; the fleets' VMs have 2–12 GiB, and a
// limit under 12 would keep a seventh of them from ever moving by day);
// host caps above the largest host of any shape today (mixed's 2 TiB hosts
// hold up to 272 VMs and 1,492 GiB), so that they bound growth rather than
// refuse the moves that relieve a hot host, the tenant's group under the
// fleet's; move_cap at 2 a day; a host group per rack and the tenant's,
// and VM–host rules of each kind.
var everyRuleSettings = map[string]any{
	"business_hours": map[string]any{
		"days":                 []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
		"start":                "00:00",
		"end":                  "24:00",
		"config":               map[string]any{"max_moves": 10, "aggressiveness": 3},
		"max_storage_move_gib": 300,
	},
	"host_groups": map[string]any{
		"rack-a": map[string]any{"label": map[string]any{"rack": "rack-a"}},
		"rack-d": map[string]any{"label": map[string]any{"rack": "rack-d"}},
		"acme":   map[string]any{"label": map[string]any{"tenant": "acme"}},
	},
	"vm_host_rules": []any{
		map[string]any{"name": "gold-on-rack-a", "vms": map[string]any{"tag": "tier=gold"}, "hosts": "rack-a", "type": "must_run_on"},
		map[string]any{"name": "gold-off-rack-d", "vms": map[string]any{"tag": "tier=gold"}, "hosts": "rack-d", "type": "must_not_run_on"},
		map[string]any{"name": "web-on-rack-a", "vms": map[string]any{"tag": "role=web"}, "hosts": "rack-a", "type": "should_run_on"},
		map[string]any{"name": "batch-off-rack-d", "vms": map[string]any{"tag": "role=batch"}, "hosts": "rack-d", "type": "should_not_run_on", "penalty": 15},
	},
	"guards": map[string]any{
		"large_vm":      map[string]any{"max_memory_gib": 32},
		"host_capacity": map[string]any{"max_vms": 300, "max_memory_gib": 1800, "groups": map[string]any{"acme": map[string]any{"max_vms": 280}}},
		"tenant_hosts":  map[string]any{"acme": map[string]any{"tenant": "acme"}},
		"move_cap":      map[string]any{"max_moves_per_day": 2},
	},
}

// everyRulePolicy writes the shipped rules, without their tests and data,
// and everyRuleSettings as their data into a new directory.
func everyRulePolicy(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	files, err := filepath.Glob(filepath.Join(shippedPolicy, "*.rego"))
	if err != nil || len(files) == 0 {
		b.Fatalf("the shipped rules: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), src, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	data, err := json.Marshal(map[string]any{"hvbalancer_settings": everyRuleSettings})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.json"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}
