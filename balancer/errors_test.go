package balancer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

func TestPlanErrors(t *testing.T) {
	dup := hotFleet(nil, nil)
	dup.VMs = append(dup.VMs, dup.VMs[0])
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		snap  *collector.Snapshot
		rules *fakeRules
		is    error
		want  string
	}{
		{name: "judge error", rules: &fakeRules{err: errJudge}, is: errJudge,
			want: "plan: judge moving vm a01 from hv01 to hv02: policy exploded"},
		{name: "invalid policy settings", rules: &fakeRules{settings: policy.Settings{Aggressiveness: intp(9), MaxMoves: intp(-1)}},
			want: "plan: settings with the policy's config: aggressiveness: 9 is not in 1..5\nmax_moves: -1 must be >= 0"},
		{name: "duplicate vm", snap: dup, want: "plan: snapshot has vm a01 twice"},
		{name: "canceled", ctx: canceled, rules: &fakeRules{requests: []policy.Request{{VM: "a01"}}}, is: context.Canceled,
			want: "plan: context canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ctx == nil {
				tc.ctx = context.Background()
			}
			if tc.snap == nil {
				tc.snap = hotFleet(nil, nil)
			}
			if tc.rules == nil {
				tc.rules = &fakeRules{}
			}
			pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = pl.Plan(tc.ctx, tc.snap, tc.rules, "sha256:test", nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

func TestNewPlannerInvalid(t *testing.T) {
	cfg := balancer.Config{Aggressiveness: 7, CPUHigh: 120, MemoryHigh: 85, CPUCeiling: 85, MaxInflowPerHost: 1,
		BandwidthBytesPerSecond: 1e9, MaxConcurrent: 1, PlanTTL: time.Hour}
	_, err := balancer.NewPlanner(cfg, nil)
	want := "new planner: aggressiveness: 7 is not in 1..5\ncpu_high: 120 is not a percentage in (0, 100]\ncpu_weight: cpu_weight and memory_weight cannot both be 0"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}
