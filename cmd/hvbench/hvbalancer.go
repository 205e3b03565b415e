package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// shippedName names hvbalancer with the shipped policy.
const shippedName = "hvbalancer shipped policy"

// allowAll is a rules value that allows every move at no cost and asks for
// nothing: hvbalancer's planner without a policy.
type allowAll struct{}

func (allowAll) Settings() policy.Settings  { return policy.Settings{} }
func (allowAll) Requests() []policy.Request { return nil }
func (allowAll) Frozen(string) bool         { return false }
func (allowAll) Judge(context.Context, policy.Move, policy.Projected) (policy.Verdict, error) {
	return policy.Verdict{}, nil
}

// hvbalancerContender plans with balancer.NewPlanner and the shipped
// defaults, applies the plan's moves, and plans again on the new placement
// (as the daemon does round after round) until a plan has no move, its
// figures then those after convergence, or maxRounds passed, which the
// recorder notes as capped. engine nil plans with allowAll. trace, when
// not nil, receives each round: its moves with their gains and the plan's
// message (why the search stopped), then the busiest host's CPU.
func hvbalancerContender(name string, engine *policy.Engine, maxRounds int, trace io.Writer) contender {
	return contender{Name: name, Kind: kindHvbalancer, Source: "balancer.Planner (this repository)", Run: func(ctx context.Context, f *fleet, rec *recorder) (int, error) {
		planner, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
		if err != nil {
			return 0, fmt.Errorf("new planner: %w", err)
		}
		vmIndex := make(map[string]int, len(f.snap.VMs))
		for i, v := range f.snap.VMs {
			vmIndex[v.ID] = i
		}
		for round := 1; round <= maxRounds; round++ {
			s := f.snapshot()
			plan, err := planOnce(ctx, planner, s, engine)
			if err != nil {
				return round, fmt.Errorf("round %d: %w", round, err)
			}
			if trace != nil {
				traceRound(trace, name, round, plan)
			}
			if len(plan.Moves) == 0 {
				return round, nil
			}
			for _, m := range plan.Moves {
				vi, ok := vmIndex[m.VM]
				to, ok2 := f.index[m.To]
				if !ok || !ok2 {
					return round, fmt.Errorf("round %d: plan moves unknown VM %s or host %s", round, m.VM, m.To)
				}
				rec.move(vi, to)
				if m.Trigger == balancer.TriggerRequest {
					rec.requests++
				}
			}
			if trace != nil {
				hi, _ := extremes(f, f.cpu)
				fmt.Fprintf(trace, "   max CPU now %.1f %%\n", hi)
			}
		}
		rec.capped = true
		return maxRounds, nil
	}}
}

// planOnce makes one plan of s, with the policy's session when engine is set.
func planOnce(ctx context.Context, p *balancer.Planner, s *collector.Snapshot, engine *policy.Engine) (*balancer.Plan, error) {
	if engine == nil {
		return p.Plan(ctx, s, allowAll{}, "sha256:allow-all", nil)
	}
	session, err := engine.Begin(ctx, balancer.PolicyInput(s, policy.History{}, time.UTC))
	if err != nil {
		return nil, fmt.Errorf("begin policy session: %w", err)
	}
	return p.Plan(ctx, s, session, engine.Digest(), nil)
}

// traceRound writes one round's plan: each move with its trigger, gain and
// penalty, then the plan's message.
func traceRound(w io.Writer, name string, round int, plan *balancer.Plan) {
	fmt.Fprintf(w, "%s, round %d: %d moves; %s\n", name, round, len(plan.Moves), plan.Message)
	for _, m := range plan.Moves {
		fmt.Fprintf(w, "   %s %s -> %s (%s) gain %.2f penalty %.2f, %.0f GiB: %s\n",
			m.VMName, m.From, m.To, m.Trigger, m.Gain, m.Penalty, float64(m.Bytes)/(1<<30), m.Reason)
	}
}
