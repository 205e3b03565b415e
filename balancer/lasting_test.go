package balancer_test

import (
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestPassingLimitClearsLaterInThePlan: a step passes over the pairs
// found past a lasting limit (see the planner's limit), but a limit that
// a planned move can lift is judged again at every step. HV-D, hot, is
// too full in memory for x (12 GiB) until its own VM y leaves for HV-E;
// x is clustered, so HV-D is its only other host; the plan moves y, then
// x into the room y left.
func TestPassingLimitClearsLaterInThePlan(t *testing.T) {
	pt := func(points float64) float64 { return points * 0.32 } // points of a 32-processor host
	s := fleet([]collector.Host{
		newHost("HV-A", 32, 64, cluster("c1")),
		newHost("HV-D", 32, 64, cluster("c1")),
		newHost("HV-E", 32, 64, cluster("c2")),
	}, []collector.VM{
		newVM("x", "HV-A", pt(15), 12, clustered()),
		newVM("a-frozen", "HV-A", pt(75), 8, clustered()),
		newVM("y", "HV-D", pt(30), 16),
		newVM("d-frozen", "HV-D", pt(50), 32, clustered()),
	})
	rules := &fakeRules{frozen: map[string]bool{"a-frozen": true, "d-frozen": true}}
	p := plan(t, balancer.DefaultConfig(), s, rules)
	var got []string
	for _, m := range p.Moves {
		got = append(got, m.VM+"→"+m.To)
	}
	want := []string{"y→HV-E", "x→HV-D"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("moves %v, want %v (%s)", got, want, p.Message)
	}
}
