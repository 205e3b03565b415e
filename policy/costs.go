package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/open-policy-agent/opa/v1/rego"
)

// Costs names the parts of a candidate's penalty: data.hvbalancer.costs, an
// object of numbers by name, as the shipped policy sums into its penalty
// ("cross_group", "vm_host_rule gpu-on-gpu"). A plan asks it only for the
// moves it keeps whose penalty is not zero, so that its reports name the
// rules that cost them; Judge does not evaluate it. A policy without costs
// gives none (nil), as does a candidate with no cost. The move's VM and
// hosts must be in the session's fleet, as for Judge.
func (r *Session) Costs(ctx context.Context, m Move, p Projected) (map[string]float64, error) {
	if err := r.checkMove(m); err != nil {
		return nil, fmt.Errorf("costs of %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	proj, err := projectedTerm(r.terms, m, p)
	if err != nil {
		return nil, fmt.Errorf("costs of %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	rs, err := r.policy.costs.Eval(ctx, rego.EvalParsedInput(r.terms.object(moveTerm(m), proj)),
		rego.EvalVirtualCache(newEvalCache(r.shared, r.policy.consts)))
	if err != nil {
		return nil, fmt.Errorf("costs of %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("costs of %s from %s to %s: %d results, want 1", m.VM, m.From, m.To, len(rs))
	}
	v, ok := single(rs[0].Bindings["costs"])
	if !ok {
		return nil, nil
	}
	out, err := decodeCosts(v)
	if err != nil {
		return nil, fmt.Errorf("costs of %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	return out, nil
}

// decodeCosts decodes data.hvbalancer.costs: finite numbers by name. Costs
// of zero are left out; none at all is nil.
func decodeCosts(v any) (map[string]float64, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("costs is %s, want an object of numbers", describe(v))
	}
	var out map[string]float64
	for name, c := range obj {
		n, ok := c.(json.Number)
		if !ok {
			return nil, fmt.Errorf("costs[%q] is %s, want a number", name, describe(c))
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("costs[%q] %s is not a finite number", name, n)
		}
		if f == 0 {
			continue
		}
		if out == nil {
			out = map[string]float64{}
		}
		out[name] = f
	}
	return out, nil
}
