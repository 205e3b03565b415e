package balancer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

const shippedPolicy = "../examples/policies"

func tags(kv ...string) vmOpt {
	return func(v *collector.VM) {
		v.Tags = map[string]string{}
		var notes []string
		for i := 0; i+1 < len(kv); i += 2 {
			v.Tags[kv[i]] = kv[i+1]
			notes = append(notes, kv[i]+"="+kv[i+1])
		}
		v.Notes = strings.Join(notes, "\n")
	}
}

// policyFleet exercises the shipped policy: hv01 is hot and holds two
// role=sql VMs; hv02 holds another; c01 on hv03 is pinned to hv04; e01 is
// frozen; hv06 is in maintenance with two VMs to evacuate and a frozen one.
func policyFleet(at time.Time) *collector.Snapshot {
	var vms []collector.VM
	for i, id := range ids("a", 6) {
		var opts []vmOpt
		if i < 2 {
			opts = append(opts, tags("role", "sql"))
		}
		vms = append(vms, newVM(id, "hv01", 4, 24, opts...))
	}
	vms = append(vms,
		newVM("b01", "hv02", 2, 16, tags("role", "SQL")),
		newVM("c01", "hv03", 2, 16, tags("pin", "hv04")),
		newVM("d01", "hv04", 2, 16),
		newVM("e01", "hv05", 2, 16, tags("hvbalancer", "frozen")),
		newVM("f01", "hv06", 2, 16), newVM("f02", "hv06", 1, 8), newVM("f03", "hv06", 1, 8, tags("frozen", "true")),
	)
	var hosts []collector.Host
	for i, name := range []string{"hv01", "hv02", "hv03", "hv04", "hv05", "hv06"} {
		h := newHost(name, 32, 256)
		h.Group = "rack-a"
		if i >= 3 {
			h.Group = "rack-b"
		}
		if name == "hv06" {
			h.Maintenance = true
		}
		hosts = append(hosts, h)
	}
	s := fleet(hosts, vms)
	s.Taken = at
	return s
}

func loadShipped(t testing.TB) *policy.Engine {
	t.Helper()
	e, err := policy.Load(policy.Options{Dir: shippedPolicy})
	if err != nil {
		t.Fatalf("load the shipped policy: %v", err)
	}
	return e
}

func planWithEngine(t *testing.T, e *policy.Engine, s *collector.Snapshot) (*balancer.Plan, *policy.Session) {
	t.Helper()
	ctx := context.Background()
	session, err := e.Begin(ctx, balancer.PolicyInput(s, policy.History{}, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(ctx, s, session, e.Digest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s, balancer.DefaultConfig(), session, nil, p)
	return p, session
}

func TestPlanWithShippedPolicy(t *testing.T) {
	e := loadShipped(t)
	saturday := time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC)
	s := policyFleet(saturday)
	p, session := planWithEngine(t, e, s)

	byVM := map[string]balancer.Move{}
	for _, m := range p.Moves {
		byVM[m.VM] = m
	}
	for _, id := range []string{"f01", "f02", "c01", "a02"} {
		if m, ok := byVM[id]; !ok || m.Trigger != balancer.TriggerRequest {
			t.Errorf("vm %s: no requested move in %+v", id, p.Moves)
		}
	}
	if m := byVM["c01"]; m.To != "hv04" {
		t.Errorf("pinned c01 goes to %s, want hv04", m.To)
	}
	for _, id := range []string{"e01", "f03"} {
		if _, ok := byVM[id]; ok {
			t.Errorf("frozen vm %s moved", id)
		}
	}
	// Every rule of the shipped policy holds after the plan.
	where := map[string]string{}
	for _, v := range s.VMs {
		where[v.ID] = v.Host
	}
	for _, m := range p.Moves {
		where[m.VM] = m.To
	}
	sqlOn := map[string]string{}
	for _, id := range []string{"a01", "a02", "b01"} {
		if other, ok := sqlOn[where[id]]; ok {
			t.Errorf("sql VMs %s and %s share host %s", other, id, where[id])
		}
		sqlOn[where[id]] = id
	}
	for _, h := range p.Hosts {
		if h.In > 0 && (h.CPUAfter > 75 || h.MemoryAfter > 85) {
			t.Errorf("destination %s ends at CPU %.1f%%, memory %.1f%%, over the policy's limits", h.Name, h.CPUAfter, h.MemoryAfter)
		}
		if h.Name == "hv06" && h.VMsAfter != 1 {
			t.Errorf("hv06 keeps %d VMs, want only the frozen one", h.VMsAfter)
		}
	}
	if p.Hosts[0].CPUAfter >= p.Hosts[0].CPUBefore {
		t.Errorf("hot hv01 did not come down: %+v", p.Hosts[0])
	}
	if session.Evaluations() == 0 || p.Search.Judged < len(p.Moves) {
		t.Errorf("evaluations %d, judged %d", session.Evaluations(), p.Search.Judged)
	}

	// The same snapshot and policy give the same bytes.
	again, _ := planWithEngine(t, e, s)
	var a, b bytes.Buffer
	if err := p.WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	if err := again.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("planning twice with the shipped policy differs")
	}
}

func TestPlanWithShippedPolicyInBusinessHours(t *testing.T) {
	e := loadShipped(t)
	monday := time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)
	p, _ := planWithEngine(t, e, policyFleet(monday))
	if p.Settings.MaxMoves != 3 || p.Settings.Aggressiveness != 2 || len(p.Moves) != 3 {
		t.Errorf("settings %+v, %d moves; want the business-hours limits", p.Settings, len(p.Moves))
	}
	// hv01 is hot: the requests, highest priority first, leave the last
	// move to balancing.
	for i, m := range p.Moves {
		switch {
		case i < 2 && (m.Trigger != balancer.TriggerRequest || m.Priority != 100 && m.Priority != 80):
			t.Errorf("move %d %+v: want one of the highest-priority requests", i, m)
		case i == 2 && (m.Trigger != balancer.TriggerBalance || m.From != "hv01"):
			t.Errorf("move %d %+v: want the balancing move kept while hv01 is hot", i, m)
		}
	}
}
