package balancer_test

import (
	"math"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// tb is what both *testing.T and *rapid.T offer.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkInvariants re-checks a plan against its snapshot from scratch, with
// the load measures the planner documents: host CPU (mean+p95)/2, host
// memory p95, VM CPU (mean+p95)/2 logical processors.
func checkInvariants(t tb, s *collector.Snapshot, cfg balancer.Config, rules interface{ Frozen(string) bool }, recent map[string]time.Time, p *balancer.Plan) {
	t.Helper()
	set := p.Settings
	// The limits a policy cannot override are the configured ones.
	if set.MaxInflowPerHost != cfg.MaxInflowPerHost || set.MemoryReserveBytes != cfg.MemoryReserveBytes ||
		set.CPUCeiling != cfg.CPUCeiling || set.CooldownSeconds != cfg.Cooldown.Seconds() {
		t.Errorf("plan settings %+v do not match the config %+v", set, cfg)
	}
	if len(p.Moves) > set.MaxMoves {
		t.Errorf("%d moves, max_moves %d", len(p.Moves), set.MaxMoves)
	}
	hosts := map[string]*collector.Host{}
	for i := range s.Hosts {
		hosts[s.Hosts[i].Name] = &s.Hosts[i]
	}
	vms := map[string]*collector.VM{}
	for i := range s.VMs {
		vms[s.VMs[i].ID] = &s.VMs[i]
	}
	cpu, memUsed := map[string]float64{}, map[string]float64{}
	for _, h := range s.Hosts {
		cpu[h.Name] = (h.CPU.Mean + h.CPU.P95) / 2
		memUsed[h.Name] = h.Memory.P95 / 100 * float64(h.MemoryBytes)
	}
	eligible := func(h *collector.Host) bool {
		inMaintenance := h.Maintenance || strings.ToLower(h.Labels["maintenance"]) == "true"
		return h.Health == collector.HealthOK && !inMaintenance && h.MigrationEnabled && h.LogicalProcessors > 0 && h.MemoryBytes > 0
	}
	const eps = 1e-6
	moved := map[string]bool{}
	inflow := map[string]int{}
	requests := 0
	for i, m := range p.Moves {
		v, ok := vms[m.VM]
		if !ok {
			t.Errorf("move %d: unknown vm %s", i, m.VM)
			continue
		}
		from, to := hosts[m.From], hosts[m.To]
		switch {
		case moved[m.VM]:
			t.Errorf("move %d: vm %s moved twice", i, m.VM)
		case m.From != v.Host:
			t.Errorf("move %d: vm %s is on %s, not %s", i, m.VM, v.Host, m.From)
		case to == nil || m.To == m.From:
			t.Errorf("move %d: bad destination %q", i, m.To)
		case !eligible(to):
			t.Errorf("move %d: destination %s is not eligible", i, m.To)
		case from.Health != collector.HealthOK || !from.MigrationEnabled:
			t.Errorf("move %d: source %s cannot send", i, m.From)
		case m.Trigger == balancer.TriggerBalance && !eligible(from):
			t.Errorf("move %d: balancing from ineligible %s", i, m.From)
		case !v.Running():
			t.Errorf("move %d: vm %s is %s", i, m.VM, v.State)
		case rules.Frozen(m.VM):
			t.Errorf("move %d: vm %s is frozen", i, m.VM)
		case v.Clustered && (from.Cluster == "" || from.Cluster != to.Cluster):
			t.Errorf("move %d: clustered vm %s leaves cluster %q for %q", i, m.VM, from.Cluster, to.Cluster)
		case m.Bytes != v.MemoryAssigned:
			t.Errorf("move %d: bytes %d, want %d", i, m.Bytes, v.MemoryAssigned)
		}
		if last, ok := recent[m.VM]; ok && s.Taken.Sub(last) < time.Duration(set.CooldownSeconds*float64(time.Second)) {
			t.Errorf("move %d: vm %s is in cooldown", i, m.VM)
		}
		if m.Trigger == balancer.TriggerRequest {
			requests++
		} else if m.Trigger != balancer.TriggerBalance {
			t.Errorf("move %d: trigger %q", i, m.Trigger)
		}
		moved[m.VM] = true
		inflow[m.To]++
		if from == nil || to == nil {
			continue
		}
		cores := (v.CPU.Mean + v.CPU.P95) / 2
		// On a dense fleet (the eligible hosts' mean CPU above the fill
		// line) a move may fill its destination past cpu_high, but only
		// off the busiest eligible host and to below that host's new load.
		var sum, busiest float64
		var eligibleN int
		for _, h := range s.Hosts {
			if eligible(&h) {
				sum += cpu[h.Name]
				busiest = max(busiest, cpu[h.Name])
				eligibleN++
			}
		}
		srcAfter := cpu[m.From] - cores/float64(from.LogicalProcessors)*100
		dstAfter := cpu[m.To] + cores/float64(to.LogicalProcessors)*100
		// A balancing move gains the minimum, or it gains and relieves the
		// busiest host: with the part of that host's drop the peak term
		// misses because a third host is near it (down to the busiest host
		// no plan can lower), it reaches the minimum.
		if m.Trigger == balancer.TriggerBalance && m.Gain < set.MinGain-0.001 {
			var third, stuck float64
			for _, h := range s.Hosts {
				switch {
				case eligible(&h) && h.Name != m.From && h.Name != m.To:
					third = max(third, cpu[h.Name])
				case !eligible(&h) && h.Health == collector.HealthOK && !h.MigrationEnabled && h.LogicalProcessors > 0:
					stuck = max(stuck, cpu[h.Name])
				}
			}
			relief := set.CPUWeight * max(0, third-max(srcAfter, dstAfter, stuck))
			if m.Gain <= 0 || cpu[m.From] < busiest-eps || m.Gain+relief < set.MinGain-0.001 {
				t.Errorf("move %d gains %.3f, below the minimum %g, and relieves the busiest host by %.3f more (%s at %.2f, busiest %.2f)",
					i, m.Gain, set.MinGain, relief, m.From, cpu[m.From], busiest)
			}
			// Below half the minimum, it does not widen the weighted spread.
			if m.Gain < set.MinGain/2-0.001 {
				before := weightedSpread(s, set, eligible, cpu, memUsed)
				c0, c1, m0, m1 := cpu[m.From], cpu[m.To], memUsed[m.From], memUsed[m.To]
				cpu[m.From], cpu[m.To] = srcAfter, dstAfter
				memUsed[m.From] -= float64(v.MemoryAssigned)
				memUsed[m.To] += float64(v.MemoryAssigned)
				after := weightedSpread(s, set, eligible, cpu, memUsed)
				cpu[m.From], cpu[m.To], memUsed[m.From], memUsed[m.To] = c0, c1, m0, m1
				if after > before+1e-9 {
					t.Errorf("move %d gains %.3f with the peak relief and widens the weighted spread %.4f → %.4f", i, m.Gain, before, after)
				}
			}
		}
		if dstAfter > set.CPUHigh+eps {
			dense := eligibleN > 0 && sum/float64(eligibleN) > min(set.CPUHigh-set.Headroom, set.CPUCeiling)
			if !dense || !eligible(from) || cpu[m.From] < busiest-eps || dstAfter >= srcAfter {
				t.Errorf("move %d: %s takes %s to CPU %.2f, over cpu_high %g, and the fleet is not dense or %s (%.2f → %.2f) is not the busiest host relieved",
					i, m.VM, m.To, dstAfter, set.CPUHigh, m.From, cpu[m.From], srcAfter)
			}
		}
		cpu[m.From] = srcAfter
		cpu[m.To] = dstAfter
		memUsed[m.From] -= float64(v.MemoryAssigned)
		memUsed[m.To] += float64(v.MemoryAssigned)
	}
	for name, n := range inflow {
		h := hosts[name]
		if n > set.MaxInflowPerHost {
			t.Errorf("host %s receives %d moves, cap %d", name, n, set.MaxInflowPerHost)
		}
		if limit := float64(h.MemoryBytes - set.MemoryReserveBytes); memUsed[name] > limit+eps {
			t.Errorf("host %s memory %.0f over capacity minus reserve %.0f", name, memUsed[name], limit)
		}
		if cpu[name] > set.CPUCeiling+eps {
			t.Errorf("host %s CPU %.2f over the ceiling %g", name, cpu[name], set.CPUCeiling)
		}
		// Whatever the policy says, no move makes its destination hot
		// unless the fleet is dense (checked move by move above).
		if mem := memUsed[name] / float64(h.MemoryBytes) * 100; mem > set.MemoryHigh+eps {
			t.Errorf("host %s receives a move and ends at memory %.2f%%, over memory_high %g", name, mem, set.MemoryHigh)
		}
	}
	// The reported loads and spreads match a recomputation.
	var n, sc, sc2, sm, sm2 float64
	for _, hl := range p.Hosts {
		h := hosts[hl.Name]
		mem := memUsed[hl.Name] / float64(h.MemoryBytes) * 100
		if math.Abs(hl.CPUAfter-cpu[hl.Name]) > 0.006 || math.Abs(hl.MemoryAfter-mem) > 0.006 {
			t.Errorf("host %s after: cpu %.3f memory %.3f reported, %.3f %.3f recomputed", hl.Name, hl.CPUAfter, hl.MemoryAfter, cpu[hl.Name], mem)
		}
		if hl.Eligible != eligible(h) {
			t.Errorf("host %s eligible %v", hl.Name, hl.Eligible)
		}
		if hl.Eligible {
			n++
			sc += cpu[hl.Name]
			sc2 += cpu[hl.Name] * cpu[hl.Name]
			sm += mem
			sm2 += mem * mem
		}
	}
	if n > 0 {
		sdc := math.Sqrt(math.Max(0, sc2/n-(sc/n)*(sc/n)))
		sdm := math.Sqrt(math.Max(0, sm2/n-(sm/n)*(sm/n)))
		if math.Abs(sdc-p.Efficacy.CPU.SpreadAfter) > 0.01 || math.Abs(sdm-p.Efficacy.Memory.SpreadAfter) > 0.01 {
			t.Errorf("spread after: %.3f/%.3f reported, %.3f/%.3f recomputed", p.Efficacy.CPU.SpreadAfter, p.Efficacy.Memory.SpreadAfter, sdc, sdm)
		}
	}
	if requests == 0 && p.Efficacy.ObjectiveAfter > p.Efficacy.ObjectiveBefore+0.001 {
		t.Errorf("balancing made the objective worse: %.3f → %.3f", p.Efficacy.ObjectiveBefore, p.Efficacy.ObjectiveAfter)
	}
	checkStorageAndCompatibility(t, s, cfg, p)
	if p.Efficacy.Moves != len(p.Moves) {
		t.Errorf("efficacy counts %d moves, plan has %d", p.Efficacy.Moves, len(p.Moves))
	}
}

// weightedSpread is cpu_weight·σcpu + memory_weight·σmemory over the
// eligible hosts at the given loads.
func weightedSpread(s *collector.Snapshot, set balancer.Settings, eligible func(*collector.Host) bool, cpu, memUsed map[string]float64) float64 {
	var n, sc, sc2, sm, sm2 float64
	for i := range s.Hosts {
		h := &s.Hosts[i]
		if !eligible(h) {
			continue
		}
		c, m := cpu[h.Name], memUsed[h.Name]/float64(h.MemoryBytes)*100
		n++
		sc, sc2, sm, sm2 = sc+c, sc2+c*c, sm+m, sm2+m*m
	}
	if n == 0 {
		return 0
	}
	sd := func(s1, s2 float64) float64 { return math.Sqrt(math.Max(0, s2/n-(s1/n)*(s1/n))) }
	return set.CPUWeight*sd(sc, sc2) + set.MemoryWeight*sd(sm, sm2)
}
