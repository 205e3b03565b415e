package balancer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/policy"
)

// placeCosts names the parts of each ranked host's penalty (see
// PlaceCandidate.Costs), asking the policy, when it names them, once for
// each host shown with a penalty, with the projection it was judged with;
// hosts are those Place judged, in name order. Only a context ended fails
// it: a policy that cannot name the parts leaves them out, as a plan does.
func placeCosts(ctx context.Context, rules Rules, hosts []placeHost, cores float64, mem int64, ranked []PlaceCandidate) error {
	names, ok := rules.(costNamer)
	if !ok {
		return nil
	}
	for k := range ranked {
		c := &ranked[k]
		if c.Penalty == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("place: %w", err)
		}
		i, found := slices.BinarySearchFunc(hosts, c.Host, func(ph placeHost, name string) int { return strings.Compare(ph.h.Name, name) })
		if !found {
			continue
		}
		dc, dm := hosts[i].raise(cores, mem)
		costs, err := names.Costs(ctx, policy.Move{VM: NewVMID, From: "", To: c.Host}, placeProjected(&hosts[i], dc, dm))
		if err != nil || !costsAddUp(costs, c.Penalty) {
			continue
		}
		c.Costs = costs
	}
	return nil
}

// costsAddUp reports whether the named parts of a penalty sum to it, to
// within rounding: parts that do not explain the penalty are not shown.
func costsAddUp(costs map[string]float64, penalty float64) bool {
	if len(costs) == 0 {
		return false
	}
	sum := 0.0
	for _, v := range costs {
		sum += v
	}
	return math.Abs(sum-penalty) <= 1e-9*math.Max(1, math.Abs(penalty))
}

// PenaltyText is the host's penalty with the rules that make it up, the
// dearest first, as the plan's reports write a move's: "penalty 15
// (vm_host_rule gpu-on-gpu 10, cross_group 5)"; "" without penalty.
func (c PlaceCandidate) PenaltyText() string {
	return penaltyText(Move{Penalty: c.Penalty, Costs: c.Costs})
}
