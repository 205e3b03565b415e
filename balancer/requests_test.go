package balancer_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

func TestPlanRequests(t *testing.T) {
	runPlanCases(t, []planCase{
		{
			name:  "request with a destination",
			cfg:   func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{{VM: "b01", To: "hv03", Reason: "pin to hv03", Priority: 10}}},
			want:  []moveKey{req("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				m := p.Moves[0]
				if m.Reason != "pin to hv03" || m.Priority != 10 || !cmp.Equal(m.Rules, []string{"requests", "deny", "penalty"}) {
					t.Errorf("move %+v", m)
				}
			},
		},
		{
			name:  "request already satisfied",
			cfg:   func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{{VM: "b01", To: "hv02", Reason: "pin"}}},
			want:  []moveKey{},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if len(p.Rejected) != 0 {
					t.Errorf("rejected %+v", p.Rejected)
				}
			},
		},
		{
			name:  "request without a destination takes the best",
			cfg:   func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{{VM: "a06", Reason: "spread"}}},
			want:  []moveKey{req("a06", "hv01", "hv02")},
		},
		{
			name: "requests by priority before balancing",
			rules: &fakeRules{requests: []policy.Request{
				{VM: "c01", To: "hv02", Reason: "low", Priority: 1},
				{VM: "a06", Reason: "high", Priority: 50},
			}},
			want: []moveKey{req("a06", "hv01", "hv02"), req("c01", "hv03", "hv02"), bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03")},
		},
		{
			name:  "request denied by policy",
			cfg:   func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{{VM: "b01", To: "hv03", Reason: "pin"}}, deny: denyTo("hv03", "hv03 is for lab VMs")},
			want:  []moveKey{},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				want := []balancer.Rejection{{VM: "b01", VMName: "b01", From: "hv02", To: "hv03", Trigger: "request", Gain: p.Rejected[0].Gain, Messages: []string{"hv03 is for lab VMs"}}}
				if diff := cmp.Diff(want, p.Rejected); diff != "" {
					t.Errorf("rejected (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:  "request falls back past a denied destination",
			cfg:   func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{{VM: "a06", Reason: "spread"}}, deny: denyTo("hv02", "hv02 is full of databases")},
			want:  []moveKey{req("a06", "hv01", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				rej := p.Moves[0].Rejected
				if len(rej) != 1 || rej[0].To != "hv02" || rej[0].Messages[0] != "hv02 is full of databases" {
					t.Errorf("move rejections %+v", rej)
				}
			},
		},
		{
			name: "refused requests are reported",
			cfg:  func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{frozen: map[string]bool{"b02": true}, requests: []policy.Request{
				{VM: "zz", Reason: "ghost", Priority: 5},
				{VM: "b02", To: "hv03", Reason: "frozen", Priority: 4},
				{VM: "b01", To: "hv09", Reason: "nowhere", Priority: 3},
				{VM: "c01", To: "hv02", Reason: "first", Priority: 2},
				{VM: "c01", To: "hv01", Reason: "second", Priority: 1},
			}},
			want: []moveKey{req("c01", "hv03", "hv02")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				var got []string
				for _, r := range p.Rejected {
					got = append(got, r.VM+": "+strings.Join(r.Messages, "; "))
				}
				want := []string{
					"zz: requested (ghost), but the vm is not in the snapshot",
					"b02: requested (frozen), but vm is frozen by policy",
					"b01: requested (nowhere), but host hv09 is not in the snapshot",
					"c01: requested (second), but the vm is already moved by a request of higher priority",
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("rejections (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "evacuating a host in maintenance",
			snap: hotFleet(map[string][]hostOpt{"hv03": {maintenance()}}, nil),
			cfg:  func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{
				{VM: "c01", Reason: "evacuate hv03", Priority: 100}, {VM: "c02", Reason: "evacuate hv03", Priority: 100},
			}},
			want: []moveKey{req("c01", "hv03", "hv02"), req("c02", "hv03", "hv02")},
		},
		{
			name: "vm on an unknown host stays",
			snap: func() *collector.Snapshot {
				s := hotFleet(nil, nil)
				s.VMs = append(s.VMs, newVM("z01", "hv99", 1, 4))
				return s
			}(),
			cfg:   func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{{VM: "z01", To: "hv02", Reason: "lost"}}},
			want:  []moveKey{},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if len(p.Rejected) != 1 || p.Rejected[0].Messages[0] != "requested (lost), but vm is on unknown host hv99" {
					t.Errorf("rejected %+v", p.Rejected)
				}
			},
		},
	})
}
