package balancer

import (
	"context"
	"math"

	"github.com/hvbalancer/hvbalancer/policy"
)

// costNamer is a policy that names the parts of a candidate's penalty
// (*policy.Session is one). A Rules that is not gives plans without them.
type costNamer interface {
	Costs(ctx context.Context, m policy.Move, p policy.Projected) (map[string]float64, error)
}

// costsOf names the parts of a chosen candidate's penalty for the plan's
// reports (Move.Costs), so that they say which rule made a move dearer: a
// should rule's name, say. It asks the policy only for a move whose
// penalty is not zero, before the move is simulated, with the projection
// the move was judged with. Parts that do not add up to the penalty (a
// swap's half, judged with its partner's move as well) are left out, as
// are the parts of a policy that fails to name them: the penalty is the
// verdict's, the names only explain it.
func (r *pass) costsOf(c *choice) map[string]float64 {
	names, ok := r.rules.(costNamer)
	if !ok || c.penalty == 0 {
		return nil
	}
	st := r.st
	vs := &st.vms[c.vm]
	m := policy.Move{VM: vs.v.ID, From: st.hosts[vs.host].h.Name, To: st.hosts[c.to].h.Name}
	costs, err := names.Costs(context.Background(), m, st.projected(c.vm, c.to))
	if err != nil || len(costs) == 0 {
		return nil
	}
	sum := 0.0
	for _, v := range costs {
		sum += v
	}
	if math.Abs(sum-c.penalty) > 1e-9*math.Max(1, math.Abs(c.penalty)) {
		return nil
	}
	return costs
}
