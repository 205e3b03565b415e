package balancer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// moveKey is what the unit tests compare of a move.
type moveKey struct{ VM, From, To, Trigger string }

func keys(p *balancer.Plan) []moveKey {
	out := []moveKey{}
	for _, m := range p.Moves {
		out = append(out, moveKey{m.VM, m.From, m.To, m.Trigger})
	}
	return out
}

func bal(vm, from, to string) moveKey { return moveKey{vm, from, to, balancer.TriggerBalance} }
func req(vm, from, to string) moveKey { return moveKey{vm, from, to, balancer.TriggerRequest} }

// hotFleet: hv01 runs six 4-core 24 GiB VMs (a01..a06, CPU 77%, hot);
// hv02 and hv03 two 2-core 16 GiB VMs each (b01, b02; c01, c02). All hosts
// have 32 logical processors and 256 GiB.
func hotFleet(hostOpts map[string][]hostOpt, vmOpts map[string][]vmOpt) *collector.Snapshot {
	var vms []collector.VM
	add := func(prefix, host string, n int, cores float64, mem int64) {
		for _, id := range ids(prefix, n) {
			vms = append(vms, newVM(id, host, cores, mem, vmOpts[id]...))
		}
	}
	add("a", "hv01", 6, 4, 24)
	add("b", "hv02", 2, 2, 16)
	add("c", "hv03", 2, 2, 16)
	return fleet([]collector.Host{
		newHost("hv01", 32, 256, hostOpts["hv01"]...),
		newHost("hv02", 32, 256, hostOpts["hv02"]...),
		newHost("hv03", 32, 256, hostOpts["hv03"]...),
	}, vms)
}

func allClustered(c string) map[string][]vmOpt {
	m := map[string][]vmOpt{}
	for _, id := range ids("a", 6) {
		m[id] = []vmOpt{clustered()}
	}
	return m
}

func intp(i int) *int { return &i }

// denyTo denies every move to host with msg.
func denyTo(host, msg string) func(policy.Move, policy.Projected) []string {
	return func(m policy.Move, _ policy.Projected) []string {
		if m.To == host {
			return []string{msg}
		}
		return nil
	}
}

// planCase is one planning scenario: a snapshot (hotFleet by default),
// settings, rules and recent migrations, and the moves it must give.
type planCase struct {
	name   string
	snap   *collector.Snapshot
	cfg    func(*balancer.Config)
	rules  *fakeRules
	recent map[string]time.Time
	want   []moveKey
	check  func(t *testing.T, p *balancer.Plan, r *fakeRules)
}

func runPlanCases(t *testing.T, tests []planCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := balancer.DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			if tc.snap == nil {
				tc.snap = hotFleet(nil, nil)
			}
			if tc.rules == nil {
				tc.rules = &fakeRules{}
			}
			pl, err := balancer.NewPlanner(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := pl.Plan(context.Background(), tc.snap, tc.rules, "sha256:test", &balancer.History{LastMoved: tc.recent})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, keys(p)); diff != "" {
				t.Errorf("moves (-want +got):\n%s\nmessage: %s", diff, p.Message)
			}
			if tc.check != nil && !t.Failed() {
				tc.check(t, p, tc.rules)
			}
			checkInvariants(t, tc.snap, cfg, tc.rules, tc.recent, p)
		})
	}
}

func TestPlanBalance(t *testing.T) {
	runPlanCases(t, []planCase{
		{
			name: "balanced fleet",
			cfg:  func(c *balancer.Config) { c.TargetSpread = 10 },
			snap: fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256)},
				[]collector.VM{newVM("a", "hv01", 4, 16), newVM("b", "hv02", 3, 16)}),
			want: []moveKey{},
			check: func(t *testing.T, p *balancer.Plan, r *fakeRules) {
				if !p.IsBalanced() || !strings.HasPrefix(p.Message, "The fleet is already balanced: CPU spread 1.6 points, memory spread 0.0 points") {
					t.Errorf("Balanced %v, Message %q", p.Balanced, p.Message)
				}
				if len(r.judged) != 0 {
					t.Errorf("judged %v, want nothing", r.judged)
				}
			},
		},
		{
			name: "hot host sheds load",
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, r *fakeRules) {
				if got := p.Moves[0].Reason; got != "hv01 CPU 77% > 75%" {
					t.Errorf("reason %q", got)
				}
				if got := p.Moves[0].Rules; !cmp.Equal(got, []string{"deny", "penalty"}) {
					t.Errorf("rules %q", got)
				}
				if p.IsBalanced() || p.Efficacy.CPU.SpreadAfter >= p.Efficacy.CPU.SpreadBefore {
					t.Errorf("efficacy %+v", p.Efficacy)
				}
				if len(r.judged) != len(p.Moves) {
					t.Errorf("judged %d candidates, want only the %d taken", len(r.judged), len(p.Moves))
				}
			},
		},
		{
			name: "aggressiveness 1 plans requests only",
			cfg:  func(c *balancer.Config) { c.Aggressiveness = 1 },
			want: []moveKey{},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if p.IsBalanced() || !strings.Contains(p.Message, "aggressiveness 1 plans policy requests only") {
					t.Errorf("Balanced %v, Message %q", p.Balanced, p.Message)
				}
			},
		},
		{
			name:  "policy settings override the config",
			rules: &fakeRules{settings: policy.Settings{MaxMoves: intp(1)}},
			want:  []moveKey{bal("a01", "hv01", "hv02")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if p.Settings.MaxMoves != 1 || p.Search.Stopped != "the plan reached max_moves (1)" {
					t.Errorf("settings %+v, stopped %q", p.Settings, p.Search.Stopped)
				}
			},
		},
		{
			name:  "frozen VMs stay",
			rules: &fakeRules{frozen: map[string]bool{"a01": true, "a02": true, "a03": true}},
			want:  []moveKey{bal("a04", "hv01", "hv02"), bal("a05", "hv01", "hv03"), bal("a06", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if p.Held.Frozen != 3 {
					t.Errorf("held %+v", p.Held)
				}
			},
		},
		{
			name:   "VMs in cooldown stay",
			recent: map[string]time.Time{"a01": taken.Add(-10 * time.Minute), "a02": taken.Add(-2 * time.Hour)},
			want:   []moveKey{bal("a02", "hv01", "hv02"), bal("a03", "hv01", "hv03"), bal("a04", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if p.Held.Cooldown != 1 {
					t.Errorf("held %+v", p.Held)
				}
			},
		},
		{
			name: "VMs that are not running stay",
			snap: hotFleet(nil, map[string][]vmOpt{"a01": {state("Saved")}, "a02": {state("Off")}}),
			cfg:  func(c *balancer.Config) { c.CPUHigh = 50 },
			want: []moveKey{bal("a03", "hv01", "hv02"), bal("a04", "hv01", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if p.Held.NotRunning != 2 {
					t.Errorf("held %+v", p.Held)
				}
			},
		},
		{
			name: "unreachable host is neither source nor destination",
			snap: hotFleet(map[string][]hostOpt{"hv03": {health(collector.HealthUnreachable)}}, nil),
			// Two moves leave hv01 one 4-core VM over hv02; no single move
			// gains, a swap of a03 and b01 evens them.
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv02"), bal("a03", "hv01", "hv02"), bal("b01", "hv02", "hv01")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if p.Held.HostUnavailable != 2 || p.Hosts[2].Status != "unreachable" || p.Hosts[2].Eligible {
					t.Errorf("held %+v, host %+v", p.Held, p.Hosts[2])
				}
			},
		},
		{
			name: "live migration disabled on the source",
			snap: hotFleet(map[string][]hostOpt{"hv01": {noMigration()}}, nil),
			want: []moveKey{},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if p.Held.HostUnavailable != 6 {
					t.Errorf("held %+v", p.Held)
				}
			},
		},
		{
			name: "clustered VMs stay in their cluster",
			snap: hotFleet(map[string][]hostOpt{"hv01": {cluster("c1")}, "hv02": {cluster("c1")}, "hv03": {cluster("c2")}}, allClustered("c1")),
			// hv03 is in another cluster: only hv02's own VMs, not
			// clustered, may go there, which makes room on hv02.
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv02"), bal("b01", "hv02", "hv03"), bal("a03", "hv01", "hv02"), bal("b02", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if !p.Moves[0].Clustered {
					t.Errorf("move %+v not marked clustered", p.Moves[0])
				}
			},
		},
		{
			name: "clustered VMs on a host in no cluster stay",
			snap: hotFleet(nil, allClustered("")),
			want: []moveKey{},
		},
		{
			name: "memory reserve keeps a destination out",
			snap: fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 64), newHost("hv03", 32, 256)},
				hotFleet(nil, nil).VMs),
			cfg:  func(c *balancer.Config) { c.MemoryReserveBytes = 8 * gib },
			want: []moveKey{bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv03"), bal("c01", "hv03", "hv01")},
		},
		{
			name: "CPU ceiling caps a destination",
			cfg:  func(c *balancer.Config) { c.CPUCeiling = 30 },
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if !strings.HasPrefix(p.Search.Stopped, "no move within the limits") {
					t.Errorf("stopped %q", p.Search.Stopped)
				}
			},
		},
		{
			name: "inflow cap",
			cfg:  func(c *balancer.Config) { c.MaxInflowPerHost = 1 },
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03")},
		},
		{
			name: "deny is asked lazily and kept with the move",
			rules: &fakeRules{deny: func(m policy.Move, _ policy.Projected) []string {
				if m.VM == "a01" {
					return []string{"a01 is pinned", "a01 runs payroll"}
				}
				return nil
			}},
			want: []moveKey{bal("a02", "hv01", "hv02"), bal("a03", "hv01", "hv03"), bal("a04", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, r *fakeRules) {
				if len(p.Moves[0].Rejected) != 2 || p.Moves[0].Rejected[1].To != "hv03" ||
					!cmp.Equal(p.Moves[0].Rejected[0].Messages, []string{"a01 is pinned", "a01 runs payroll"}) {
					t.Errorf("rejected %+v", p.Moves[0].Rejected)
				}
				// Only denied candidates and the ones taken were judged.
				if p.Search.Judged != p.Search.Denied+len(p.Moves) || p.Search.Denied != 5 || len(r.judged) != p.Search.Judged {
					t.Errorf("search %+v, fake judged %d", p.Search, len(r.judged))
				}
			},
		},
		{
			name: "penalty steers the choice",
			rules: &fakeRules{penalty: func(m policy.Move, _ policy.Projected) float64 {
				if m.To == "hv02" {
					return 100
				}
				return 0
			}},
			want: []moveKey{bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv03"), bal("c01", "hv03", "hv01")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if !strings.HasPrefix(p.Search.Stopped, "with the policy's penalties") {
					t.Errorf("stopped %q", p.Search.Stopped)
				}
			},
		},
		{
			name: "policy denies everything",
			rules: &fakeRules{deny: func(policy.Move, policy.Projected) []string {
				return []string{"no moves during business hours"}
			}},
			want: []moveKey{},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if len(p.Rejected) == 0 || p.Rejected[0].Messages[0] != "no moves during business hours" || p.IsBalanced() ||
					!strings.Contains(p.Message, "the policy denied every candidate") {
					t.Errorf("rejected %+v, message %q", p.Rejected, p.Message)
				}
			},
		},
		{
			name: "projected state is what the policy sees",
			rules: &fakeRules{deny: func(m policy.Move, p policy.Projected) []string {
				if len(p.To.VMs) > 3 || p.To.CPU > 30 {
					return []string{"too busy"}
				}
				return nil
			}},
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03")},
		},
	})
}
