package daemon

import (
	"slices"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// balanceOf is the fleet's balance as plan p measured it, in the API's
// form: the spreads before its moves, its target and its verdict, with the
// reason for a verdict of null, or of false when nothing was planned.
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
		if !v && len(p.Moves) == 0 && b.Reason == "" {
			// Out of balance with nothing planned: say why the search
			// planned nothing (the policy denied the gaining moves, the
			// hysteresis or the cooldowns held them), or the status reads
			// "no move" with no reason beside a round that read balanced.
			b.Reason = p.Search.Stopped
		}
	}
	for _, h := range p.Hosts {
		if h.Hot {
			b.Hot = append(b.Hot, h.Name)
		}
	}
	slices.Sort(b.Hot)
	return b
}
