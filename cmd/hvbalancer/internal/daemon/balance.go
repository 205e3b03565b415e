package daemon

import (
	"slices"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// balanceOf is the fleet's balance as plan p measured it, in the API's
// form: the spreads before its moves, its target and its verdict.
func balanceOf(p *balancer.Plan) *web.Balance {
	b := &web.Balance{
		Time:         p.Created,
		CPUSpread:    p.Efficacy.CPU.SpreadBefore,
		MemorySpread: p.Efficacy.Memory.SpreadBefore,
		TargetSpread: p.Settings.TargetSpread,
		Reason:       p.BalancedReason,
		Hot:          []string{},
		Moves:        len(p.Moves),
	}
	if p.Balanced != nil {
		v := *p.Balanced
		b.Balanced = &v
	}
	for _, h := range p.Hosts {
		if h.Hot {
			b.Hot = append(b.Hot, h.Name)
		}
	}
	slices.Sort(b.Hot)
	return b
}
