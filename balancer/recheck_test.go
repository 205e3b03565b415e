package balancer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
	"pgregory.net/rapid"
)

// TestRecheckAgreesWithPlanner: every planned move, re-checked in plan
// order on the snapshot it was planned from with the moves before it
// applied, is within the limits; and once the destination's memory fills,
// neither the planner nor the re-check lets a VM in.
func TestRecheckAgreesWithPlanner(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSnapshot(t)
		cfg := genConfig(t)
		rules := genRules(t, s)
		recent := genRecent(t, s)
		pl, err := balancer.NewPlanner(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen := &seenRules{fakeRules: rules(), last: map[policy.Move]policy.Projected{}}
		p, err := pl.Plan(context.Background(), s, seen, "sha256:prop", &balancer.History{LastMoved: recent})
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range p.Moves {
			proj, err := balancer.Recheck(s, cfg, m, p.Moves[:i])
			if err != nil {
				t.Fatalf("planned move %d (%s %s -> %s) fails its re-check: %v", i, m.VM, m.From, m.To, err)
			}
			// A VM is judged last in the step that takes it: that is
			// what the policy agreed to.
			want := seen.last[policy.Move{VM: m.VM, From: m.From, To: m.To}]
			if diff := cmp.Diff(want, proj, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Fatalf("move %d: the re-check shows the policy another projection than the planner (-planner +recheck):\n%s", i, diff)
			}
		}
		checkStorageFilled(t, s, cfg, rules, recent, p)
		if len(p.Moves) == 0 {
			return
		}
		i := rapid.IntRange(0, len(p.Moves)-1).Draw(t, "filled")
		m := p.Moves[i]
		full := filled(s, m.To)
		_, err = balancer.Recheck(full, cfg, m, p.Moves[:i])
		if !errors.Is(err, balancer.ErrLimit) {
			t.Fatalf("move %d into %s, whose memory filled, re-checks as %v; want %v", i, m.To, err, balancer.ErrLimit)
		}
		p2, err := pl.Plan(context.Background(), full, rules(), "sha256:prop", &balancer.History{LastMoved: recent})
		if err != nil {
			t.Fatal(err)
		}
		for k, m2 := range p2.Moves {
			if m2.To == m.To {
				t.Fatalf("the planner moves %s into %s (move %d) after its memory filled", m2.VM, m.To, k)
			}
			if _, err := balancer.Recheck(full, cfg, m2, p2.Moves[:k]); err != nil {
				t.Fatalf("planned move %d on the changed fleet fails its re-check: %v", k, err)
			}
		}
	})
}

// checkStorageFilled takes a planned storage move, if there is one, and
// fills the destination's local volumes until that move alone would leave
// less than the reserve (something else wrote there): the re-check must
// refuse it, and a new plan on that fleet stays within the limits and
// copies only smaller disks into that host.
func checkStorageFilled(t *rapid.T, s *collector.Snapshot, cfg balancer.Config, rules func() *fakeRules, recent map[string]time.Time, p *balancer.Plan) {
	var storage []int
	for i, m := range p.Moves {
		if m.StoragePath != "" && (m.StorageBytes > 0 || cfg.StorageReserveBytes > 0) {
			storage = append(storage, i)
		}
	}
	if len(storage) == 0 {
		return
	}
	i := storage[rapid.IntRange(0, len(storage)-1).Draw(t, "storagefilled")]
	m := p.Moves[i]
	full := *s
	full.Hosts = append([]collector.Host(nil), s.Hosts...)
	for k := range full.Hosts {
		h := &full.Hosts[k]
		if h.Name != m.To {
			continue
		}
		h.Volumes = append([]collector.Volume(nil), h.Volumes...)
		for j := range h.Volumes {
			if !strings.HasPrefix(h.Volumes[j].Path, `\\`) {
				h.Volumes[j].Free = cfg.StorageReserveBytes + m.StorageBytes - 1
			}
		}
	}
	if _, err := balancer.Recheck(&full, cfg, m, p.Moves[:i]); !errors.Is(err, balancer.ErrLimit) || !strings.Contains(err.Error(), "storage full") {
		t.Fatalf("storage move %d into %s, whose volume filled, re-checks as %v; want storage full", i, m.To, err)
	}
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := pl.Plan(context.Background(), &full, rules(), "sha256:prop", &balancer.History{LastMoved: recent})
	if err != nil {
		t.Fatal(err)
	}
	checkStorageAndCompatibility(t, &full, cfg, p2)
	for k, m2 := range p2.Moves {
		if m2.To == m.To && m2.StoragePath != "" && m2.StorageBytes >= m.StorageBytes && !strings.HasPrefix(m2.StoragePath, `\\`) {
			t.Fatalf("the planner copies %d bytes of %s into %s (move %d) after its volume filled", m2.StorageBytes, m2.VM, m.To, k)
		}
		if _, err := balancer.Recheck(&full, cfg, m2, p2.Moves[:k]); err != nil {
			t.Fatalf("planned move %d on the filled fleet fails its re-check: %v", k, err)
		}
	}
}

// seenRules records the last projection judged for each candidate.
type seenRules struct {
	*fakeRules
	last map[policy.Move]policy.Projected
}

func (r *seenRules) Judge(ctx context.Context, m policy.Move, p policy.Projected) (policy.Verdict, error) {
	r.last[m] = p
	return r.fakeRules.Judge(ctx, m, p)
}

// filled returns a copy of s in which host name's memory is in use up to
// its capacity even with all its VMs gone: something the planner did not
// place took it.
func filled(s *collector.Snapshot, name string) *collector.Snapshot {
	c := *s
	c.Hosts = append([]collector.Host(nil), s.Hosts...)
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if h.Name != name {
			continue
		}
		var onIt int64
		for _, v := range s.VMs {
			if v.Host == name {
				onIt += v.MemoryAssigned
			}
		}
		p := float64(h.MemoryBytes+onIt) / float64(h.MemoryBytes) * 100
		h.Memory = collector.Stat{Last: p, Mean: p, P95: p, Max: p}
	}
	return &c
}

// TestRecheckSmallVMsOnASpikyHost is the case the executor used to skip as
// stale: a destination whose CPU p95 is well above its mean takes small
// VMs (2 vCPUs at 5 %). The planner counts (mean+p95)/2 and so does the
// re-check; the old re-check's p95 plus the VM's p95 read it above the
// ceiling and skipped every move.
func TestRecheckSmallVMsOnASpikyHost(t *testing.T) {
	hosts := []collector.Host{newHost("hot", 8, 256), newHost("spiky", 8, 256), newHost("busy", 8, 256)}
	var vms []collector.VM
	for _, id := range ids("h", 8) {
		vms = append(vms, newVM(id, "hot", 0.8, 8)) // 80 % of hot
	}
	for _, id := range ids("s", 6) {
		v := newVM(id, "spiky", 0, 4)
		v.CPUs = 2
		v.CPU = collector.Stat{Last: 0.1, Mean: 0.1, P95: 0.1, Max: 0.1} // 5 % of 2 vCPUs
		vms = append(vms, v)
	}
	for _, id := range ids("b", 6) {
		vms = append(vms, newVM(id, "busy", 0.95, 8))
	}
	s := fleet(hosts, vms)
	for i := range s.Hosts {
		if h := &s.Hosts[i]; h.Name == "spiky" {
			h.CPU = collector.Stat{Last: 35, Mean: 35, P95: 80, Max: 95} // bursts: planned at 57.5 %
		}
	}
	cfg := balancer.DefaultConfig()
	cfg.MaxInflowPerHost = 4
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:test", nil)
	if err != nil {
		t.Fatal(err)
	}
	into := 0
	for i, m := range p.Moves {
		if _, err := balancer.Recheck(s, cfg, m, p.Moves[:i]); err != nil {
			t.Errorf("move %d %s -> %s: %v", i, m.From, m.To, err)
		}
		if m.To != "spiky" {
			continue
		}
		into++
		// What the old re-check computed: the destination's p95 plus the
		// VM's p95, from the snapshot alone.
		if old := 80 + 100*0.8/8; old <= cfg.CPUCeiling {
			t.Fatalf("the case no longer reproduces: old re-check at %.1f%%", old)
		}
	}
	if into == 0 {
		t.Fatalf("no move planned into the spiky host: %+v", p.Moves)
	}
}

// TestRecheckRefuses: each hard limit, with the planner's message.
func TestRecheckRefuses(t *testing.T) {
	hosts := []collector.Host{newHost("a", 16, 64), newHost("b", 16, 64), newHost("down", 16, 64, health("unreachable")),
		newHost("off", 16, 64, noMigration())}
	vms := []collector.VM{newVM("v1", "a", 1, 8), newVM("v2", "a", 1, 8), newVM("v3", "a", 1, 8),
		newVM("big", "a", 1, 58), newVM("cpu", "a", 14, 2), newVM("stopped", "a", 0, 2, state("Off")), newVM("w", "b", 0.1, 1)}
	s := fleet(hosts, vms)
	cfg := balancer.DefaultConfig()
	cfg.MaxInflowPerHost = 2 // the safety cap, set low for the inflow cases
	mv := func(vm, to string) balancer.Move { return balancer.Move{VM: vm, VMName: vm, From: "a", To: to} }
	tests := []struct {
		name    string
		m       balancer.Move
		earlier []balancer.Move
		limit   bool // wraps ErrLimit
		ok      bool
	}{
		{name: "within", m: mv("v1", "b"), ok: true},
		{name: "memory reserve", m: mv("big", "b"), limit: true},
		{name: "cpu ceiling", m: mv("cpu", "b"), limit: true},
		{name: "inflow", m: mv("v3", "b"), earlier: []balancer.Move{mv("v1", "b"), mv("v2", "b")}, limit: true},
		{name: "earlier done counts as inflow", m: mv("v3", "b"), earlier: []balancer.Move{mv("v1", "b"), mv("w", "b")}, limit: true},
		{name: "earlier gone is ignored", m: mv("v3", "b"), earlier: []balancer.Move{mv("v1", "b"), mv("v9", "b")}, ok: true},
		{name: "earlier applied to memory", m: mv("v3", "b"), earlier: []balancer.Move{mv("big", "b")}, limit: true},
		{name: "unhealthy destination", m: mv("v1", "down"), limit: true},
		{name: "no live migration", m: mv("v1", "off"), limit: true},
		{name: "not running", m: mv("stopped", "b"), limit: true},
		{name: "same host", m: mv("v1", "a"), limit: true},
		{name: "unknown destination", m: mv("v1", "zz"), limit: true},
		{name: "not on its source", m: balancer.Move{VM: "v1", From: "b", To: "a"}},
		{name: "no such vm", m: mv("ghost", "b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := balancer.Recheck(s, cfg, tt.m, tt.earlier)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.ok:
			case err == nil:
				t.Fatal("allowed")
			case errors.Is(err, balancer.ErrLimit) != tt.limit:
				t.Fatalf("%v: wraps ErrLimit %v, want %v", err, !tt.limit, tt.limit)
			}
		})
	}
}
