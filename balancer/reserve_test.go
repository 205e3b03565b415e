package balancer_test

import (
	"fmt"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// While a host is hot, requests leave balancing at least one move of every
// plan of two moves or more, a quarter of max_moves when that is more: at
// the shipped policy's business-hours max_moves of 3, a quarter rounded
// down to none, and a fleet with more requests than that left its hot
// hosts as they were plan after plan. A plan of one move is the request's.
func TestBalancingReserveAtSmallMaxMoves(t *testing.T) {
	hosts := []collector.Host{newHost("hv01", 16, 256), newHost("hv02", 16, 256), newHost("hv03", 16, 256), newHost("hv04", 16, 256)}
	var vms []collector.VM
	for _, id := range ids("hot", 8) {
		vms = append(vms, newVM(id, "hv01", 1.8, 8)) // hv01 at 90 %
	}
	var reqs []policy.Request
	for _, id := range ids("req", 8) {
		vms = append(vms, newVM(id, "hv04", 0.2, 4))
		reqs = append(reqs, policy.Request{VM: id, To: "hv03", Reason: "to hv03", Priority: 50, Kind: "pin"})
	}
	s := fleet(hosts, vms)
	for _, tc := range []struct{ maxMoves, requests, balancing int }{
		{1, 1, 0}, {2, 1, 1}, {3, 2, 1}, {4, 3, 1}, {8, 6, 2},
	} {
		t.Run(fmt.Sprint("max_moves ", tc.maxMoves), func(t *testing.T) {
			cfg := balancer.DefaultConfig()
			cfg.MaxMoves = tc.maxMoves
			cfg.MaxInflowPerHost = 8
			p := plan(t, cfg, s, &fakeRules{requests: reqs})
			req, bal := 0, 0
			for _, m := range p.Moves {
				if m.Trigger == balancer.TriggerRequest {
					req++
				} else {
					bal++
				}
			}
			if req != tc.requests || bal != tc.balancing {
				t.Errorf("%d request and %d balancing moves, want %d and %d: %s", req, bal, tc.requests, tc.balancing, p.Message)
			}
		})
	}
}
