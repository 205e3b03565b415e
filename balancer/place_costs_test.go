package balancer_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/policy"
)

// namingRules are fakeRules that name the parts of their penalties, as
// policy.Session does, and record the hosts they were asked to name them
// for.
type namingRules struct {
	*fakeRules
	costs func(m policy.Move, p policy.Projected) map[string]float64
	asked []string
}

func (r *namingRules) Costs(_ context.Context, m policy.Move, p policy.Projected) (map[string]float64, error) {
	r.asked = append(r.asked, m.To)
	return r.costs(m, p), nil
}

// TestPlaceNamesThePenaltyCosts: each ranked host with a penalty carries
// the rules that make it up, asked of the policy with the projection it
// was judged with, only for the hosts shown (none while ranking, none for
// a host at no penalty or cut by Top); parts that do not add up to the
// penalty are left out.
func TestPlaceNamesThePenaltyCosts(t *testing.T) {
	penalties := map[string]float64{"hv01": 100, "hv02": 30}
	rules := func() *namingRules {
		return &namingRules{
			fakeRules: &fakeRules{penalty: func(m policy.Move, _ policy.Projected) float64 { return penalties[m.To] }},
			costs: func(m policy.Move, p policy.Projected) map[string]float64 {
				if m.VM != balancer.NewVMID || m.From != "" || !slices.Contains(p.To.VMs, balancer.NewVMID) {
					return map[string]float64{"not the placement's projection": penalties[m.To]}
				}
				switch m.To {
				case "hv01":
					return map[string]float64{"cross_group": 60, "vm_host_rule off-hv01": 30} // 90, not 100
				case "hv02":
					return map[string]float64{"cross_group": 10, "vm_host_rule off-hv02": 20}
				}
				return nil
			},
		}
	}
	req := balancer.PlaceRequest{CPUs: 2, MemoryBytes: 4 * gib}

	r := rules()
	p := place(t, placeFleet(), r, req)
	if got := rankedHosts(p); !slices.Equal(got, []string{"hv03", "hv02", "hv01"}) {
		t.Fatalf("ranked %v, want hv03, then hv02 and hv01 by their penalties", got)
	}
	if diff := cmp.Diff(map[string]float64{"cross_group": 10, "vm_host_rule off-hv02": 20}, p.Ranked[1].Costs); diff != "" {
		t.Errorf("hv02's costs (-want +got):\n%s", diff)
	}
	if got, want := p.Ranked[1].PenaltyText(), "penalty 30 (vm_host_rule off-hv02 20, cross_group 10)"; got != want {
		t.Errorf("hv02's penalty text %q, want %q", got, want)
	}
	if c := p.Ranked[2]; c.Costs != nil || c.PenaltyText() != "penalty 100" {
		t.Errorf("hv01, whose parts do not add up to its penalty: %+v, %q", c, c.PenaltyText())
	}
	if c := p.Ranked[0]; c.Costs != nil || c.PenaltyText() != "" {
		t.Errorf("hv03, at no penalty: %+v, %q", c, c.PenaltyText())
	}
	if !slices.Equal(r.asked, []string{"hv02", "hv01"}) {
		t.Errorf("costs asked for %v, want hv02 and hv01 (the ranked hosts with a penalty), once each", r.asked)
	}

	for top, want := range map[int][]string{1: nil, 2: {"hv02"}} {
		r := rules()
		req.Top = top
		p := place(t, placeFleet(), r, req)
		if !slices.Equal(r.asked, want) {
			t.Errorf("top %d: costs asked for %v, want %v (the hosts shown with a penalty)", top, r.asked, want)
		}
		if top == 2 && p.Ranked[1].Costs == nil {
			t.Errorf("top 2: hv02 without its costs: %+v", p.Ranked[1])
		}
	}
}
