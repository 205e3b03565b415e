package daemon

import (
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// The status's balance says why a fleet out of balance got no move (the
// search's stop), and says nothing beside a verdict that needs no reason.
func TestBalanceOfSaysWhyNothingMoved(t *testing.T) {
	yes, no := true, false
	const stop = "the policy denied every candidate that gains at least 2 points (42)"
	tests := []struct {
		name string
		plan balancer.Plan
		want string
	}{
		{"out of balance, nothing planned", balancer.Plan{Balanced: &no, Search: balancer.Search{Stopped: stop}}, stop},
		{"balanced", balancer.Plan{Balanced: &yes, Search: balancer.Search{Stopped: "no move gains"}}, ""},
		{"moves planned", balancer.Plan{Balanced: &no, Moves: []balancer.Move{{}}, Search: balancer.Search{Stopped: stop}}, ""},
		{"not known keeps its own reason", balancer.Plan{BalancedReason: "2 hosts could not be read", Search: balancer.Search{Stopped: stop}}, "2 hosts could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := balanceOf(&tt.plan).Reason; got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}
