package balancer_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// denseMemoryFleet is four 32-processor, 256 GiB hosts (one point of CPU
// is 0.32 cores; each host uses 2 % CPU and 4 GiB of its own):
//
//   - HV01, 94 %, the busiest: "mover" (14 points, 8 GiB, static memory
//     unless dynamic) and five frozen VMs of 15.6 points;
//   - HV02, 34 % CPU but 78.1 % memory: six VMs of 5 points and 32 GiB
//     and one of 2 points and 4 GiB; with "mover" it would be at 81.25 %
//     memory, over the 80 % a balancing move fills memory to (memory_high
//     85 less the 5-point headroom) and under 84;
//   - HV03 and HV04, three VMs of other points each (16 GiB): at 80 % CPU
//     (26 points each) the fleet's mean is 72 %, above the fill line of
//     70 %, so the fleet is dense; at 68 % (22 points) the mean is 66 %
//     and it is not. Either way "mover" fits on neither (94 % or 82 %),
//     nor does one of HV02's VMs (85 % or 73 %), and their own VMs fit on
//     HV02 in CPU but not in memory (84.4 %).
func denseMemoryFleet(other float64, dynamic bool) (*collector.Snapshot, *fakeRules) {
	pt := func(points float64) float64 { return points * 0.32 }
	hosts := []collector.Host{newHost("HV01", 32, 256), newHost("HV02", 32, 256), newHost("HV03", 32, 256), newHost("HV04", 32, 256)}
	mover := newVM("mover", "HV01", pt(14), 8)
	mover.DynamicMemory = dynamic
	vms := []collector.VM{mover, newVM("m-small", "HV02", pt(2), 4)}
	rules := &fakeRules{frozen: map[string]bool{}}
	for i := range 5 {
		id := fmt.Sprintf("frozen-%d", i)
		rules.frozen[id] = true
		vms = append(vms, newVM(id, "HV01", pt(15.6), 8))
	}
	for i := range 6 {
		vms = append(vms, newVM(fmt.Sprintf("m-%d", i), "HV02", pt(5), 32))
	}
	for i := range 3 {
		vms = append(vms, newVM(fmt.Sprintf("c-%d", i), "HV03", pt(other), 16), newVM(fmt.Sprintf("d-%d", i), "HV04", pt(other), 16))
	}
	return fleet(hosts, vms), rules
}

// On a dense fleet a balancing move of a VM of static memory may fill its
// destination's memory to within 1 point of memory_high, not only to the
// headroom's 80 %: the only host with CPU room for the busiest host's VM
// is near the headroom in memory, and with the whole headroom kept no plan
// lowers the busiest host (94 %). A Dynamic Memory VM keeps the whole
// headroom (its assignment grows after it lands), and so does a fleet that
// is not dense, where the headroom costs little.
func TestDenseFleetFillsMemoryToWithinAPointOfTheThreshold(t *testing.T) {
	tests := []struct {
		name    string
		other   float64 // points of each VM on HV03 and HV04
		dynamic bool
		want    []string // VM→host moves
	}{
		{"dense, static memory", 26, false, []string{"mover→HV02"}},
		{"dense, Dynamic Memory", 26, true, nil},
		{"not dense", 22, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, rules := denseMemoryFleet(tc.other, tc.dynamic)
			cfg := balancer.DefaultConfig()
			p := planChecked(t, s, cfg, rules)
			var got []string
			for _, m := range p.Moves {
				got = append(got, m.VM+"→"+m.To)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("planned %v, want %v: %s", got, tc.want, p.Message)
			}
			hv02 := hostLoad(p, "HV02")
			limit := cfg.MemoryHigh - cfg.Headroom
			if len(tc.want) > 0 {
				limit = cfg.MemoryHigh - 1
				if math.Abs(hv02.MemoryAfter-81.25) > 0.01 {
					t.Errorf("HV02 planned to %.2f%% memory, want 81.25%%", hv02.MemoryAfter)
				}
			}
			if hv02.MemoryAfter > limit+1e-9 {
				t.Errorf("HV02 planned to %.2f%% memory, over %g%%", hv02.MemoryAfter, limit)
			}
		})
	}
}
