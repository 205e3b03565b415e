package daemon

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// TestPlannerDefaultsAreThePlanners proves one set of planner defaults: a
// configuration file that sets nothing plans with balancer.DefaultConfig.
func TestPlannerDefaultsAreThePlanners(t *testing.T) {
	c := config.Default()
	if diff := cmp.Diff(balancer.DefaultConfig(), PlannerConfig(&c)); diff != "" {
		t.Errorf("planner settings of a default file (-balancer +daemon):\n%s", diff)
	}
}
