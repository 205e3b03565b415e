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
