package balancer

import (
	"context"

	"github.com/hvbalancer/hvbalancer/policy"
)

// Rules is what the planner asks the policy in one planning pass; *policy.Session
// implements it.
type Rules interface {
	Settings() policy.Settings
	Requests() []policy.Request
	Frozen(vmID string) bool
	Judge(ctx context.Context, m policy.Move, p policy.Projected) (policy.Verdict, error)
}

// Holder is what a Rules may add: the VMs the policy holds where they are
// for the whole pass, each with the rules that hold it and their reasons
// (a refusal by the VM alone, such as a guard's cap on its moves a day).
// *policy.Session implements it. The planner leaves a held VM out of its
// search without judging any of its destinations, answers a request for
// it with the hold's reason, and counts it in Plan.Held by rule.
type Holder interface {
	Held(vmID string) []policy.Hold
}

// Waiter is what a Rules may add when its requests are still being worked
// out as the pass begins (a *policy.Session from policy.Engine.Start): the
// planner prepares its state and the snapshot's digest meanwhile, then
// calls Wait before it reads Requests, and an error from Wait fails the
// plan, as the same error from policy.Engine.Begin would have failed it
// before planning. A wrapper of such a Rules must pass Wait on.
type Waiter interface {
	Wait(ctx context.Context) error
}

// policyRequests waits for the rules' requests (see Waiter) and returns
// them.
func policyRequests(ctx context.Context, rules Rules) ([]policy.Request, error) {
	if w, ok := rules.(Waiter); ok {
		if err := w.Wait(ctx); err != nil {
			return nil, err
		}
	}
	return rules.Requests(), nil
}
