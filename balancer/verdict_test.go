package balancer_test

import (
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// TestSearchSaysWhyItEnded: a plan where fewer than two hosts can take
// part says so as the reason the search ended, naming why the others
// cannot, and never that no host is hot.
func TestSearchSaysWhyItEnded(t *testing.T) {
	even := []collector.VM{newVM("a01", "hv01", 2, 16), newVM("b01", "hv02", 2, 16), newVM("c01", "hv03", 2, 16)}
	tests := []struct {
		name     string
		hosts    []collector.Host
		vms      []collector.VM
		requests []policy.Request
		stopped  string
		message  string // a part of the plan's message
	}{{
		name: "every host stale or unreachable",
		hosts: []collector.Host{newHost("hv01", 32, 256, health(collector.HealthStale)), newHost("hv02", 32, 256, health(collector.HealthStale)),
			newHost("hv03", 32, 256, health(collector.HealthUnreachable))},
		vms:     even,
		stopped: "no host can take part in balancing (of 3 hosts: 2 stale (hv01, hv02), 1 unreachable (hv03))",
		message: "no host takes part, so none counts as hot",
	}, {
		name:    "every host in maintenance",
		hosts:   []collector.Host{newHost("hv01", 32, 256, maintenance()), newHost("hv02", 32, 256, maintenance()), newHost("hv03", 32, 256, noMigration())},
		vms:     even,
		stopped: "no host can take part in balancing (of 3 hosts: 2 in maintenance (hv01, hv02), 1 migration disabled (hv03))",
		message: "whether the fleet is balanced is not known: no host can take part (of 3 hosts, none is ok, out of maintenance, with live migration on and capacity known: 2 in maintenance",
	}, {
		name:  "one host left",
		hosts: []collector.Host{newHost("hv01", 32, 256, maintenance()), newHost("hv02", 32, 256), newHost("hv03", 32, 256, health(collector.HealthStale))},
		// hv01's VM is off: the planner evacuates only running VMs.
		vms:     []collector.VM{newVM("a01", "hv01", 2, 16, state("Off")), even[1], even[2]},
		stopped: "only hv02 can take part in balancing, and a move needs two (of 3 hosts: 1 in maintenance (hv01), 1 stale (hv03))",
		message: "not known: only hv02 can take part in balancing, and a move needs two (of 3 hosts: 1 in maintenance (hv01), 1 stale (hv03))",
	}, {
		name:     "an evacuation into the one host left",
		hosts:    []collector.Host{newHost("hv01", 32, 256, maintenance()), newHost("hv02", 32, 256)},
		vms:      even[:2],
		requests: []policy.Request{{VM: "a01", Reason: "host hv01 is in maintenance", Priority: 100}},
		stopped:  "only hv02 can take part in balancing, and a move needs two (of 2 hosts: 1 in maintenance (hv01))",
		message:  "Search ended: only hv02 can take part in balancing",
	}, {
		name:    "a fleet of one host",
		hosts:   []collector.Host{newHost("hv02", 32, 256)},
		vms:     even[1:2],
		stopped: "hv02 is the only host, and balancing needs two",
		message: "not known: hv02 is the only host, and balancing needs two",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := planOf(t, fleet(tc.hosts, tc.vms), &fakeRules{requests: tc.requests})
			if p.Search.Stopped != tc.stopped {
				t.Errorf("search stopped:\n%q\nwant\n%q", p.Search.Stopped, tc.stopped)
			}
			if !strings.Contains(p.Message, tc.message) {
				t.Errorf("message %q: want %q in it", p.Message, tc.message)
			}
			if strings.Contains(p.Message+p.Search.Stopped, "no host is hot") && !strings.Contains(tc.stopped, "only") {
				t.Errorf("message %q: says no host is hot, but no host takes part", p.Message)
			}
			if len(tc.requests) > 0 && len(p.Moves) != len(tc.requests) {
				t.Errorf("%d moves, want the %d requested: %+v", len(p.Moves), len(tc.requests), p.Rejected)
			}
			if len(tc.requests) == 0 && p.Balanced != nil {
				t.Errorf("balanced %v, want null", *p.Balanced)
			}
		})
	}
}
