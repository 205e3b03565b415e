package collector_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/policy"
)

// demandRule asks to move every VM that wants more than it receives, on a
// host that wants more than it receives, reading the demand as the policy
// guide says: with the received figure as its default.
const demandRule = `package hvbalancer

import rego.v1

requests contains {"vm": id, "priority": 1, "kind": "demand", "reason": sprintf("host %s wants %.0f %%, the VM %.0f %% of its processors", [vm.host, host_wants, vm_wants])} if {
	some id, vm in input.fleet.vms
	host := input.fleet.hosts[vm.host]
	host_wants := object.get(host.cpu, ["demand", "mean"], host.cpu.mean)
	host_wants > host.cpu.mean + 10
	vm_wants := object.get(vm.cpu, ["demand", "mean"], vm.cpu.mean)
	vm_wants > vm.cpu.mean + 5
}
`

// TestE2EPolicySeesDemandOfASaturatedHost polls a host whose VMs want
// 133 % of it over real WinRM and gives its snapshot to a policy, type
// checked against the input's schema: the input shows each of its VMs'
// demand, in percent of the VM's own processors, above what it received,
// and a rule reading it asks to move exactly those VMs.
func TestE2EPolicySeesDemandOfASaturatedHost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	fleet, s := pollSaturatedFleet(t)
	ctx := context.Background()
	in := balancer.PolicyInput(s, policy.History{}, nil)

	hot := in.Fleet.Hosts["HOT"]
	t.Logf("HOT in the policy's input: cpu %+v", hot.CPU)
	if hot.CPU.Demand.Mean < hot.CPU.Mean+20 {
		t.Errorf("HOT's cpu in the input: %+v, want a demand about 30 points above what it received", hot.CPU)
	}
	onHot := map[string]bool{}
	for _, v := range fleet.VMs("HOT") {
		onHot[v.ID] = true
		got := in.Fleet.VMs[v.ID].CPU
		want := v.CPUDemand / float64(v.CPUs) * 100 // percent of its own processors
		if v.Name == "busy00" {
			t.Logf("%s in the policy's input: cpu %+v (the simulator: wants %.1f %%)", v.Name, got, want)
		}
		if got.Demand.Mean < got.Mean+5 || math.Abs(got.Demand.Mean-want) > 0.03*want {
			t.Errorf("VM %s on HOT: cpu in the input %+v, want a demand of %.1f %% (±3 %%) above what it received", v.Name, got, want)
		}
	}
	for id, v := range in.Fleet.VMs {
		if !onHot[id] && v.CPU.Demand != (policy.LoadStat{}) {
			t.Errorf("VM %s on a quiet host has a demand in the input: %+v", v.Name, v.CPU)
		}
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "demand.rego"), []byte(demandRule), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := policy.Load(policy.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.Begin(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	for _, r := range sess.Requests() {
		asked[r.VM] = true
		if !strings.HasPrefix(r.Reason, "host HOT wants 1") {
			t.Errorf("request %+v: want the reason to give HOT's demand over 100 %%", r)
		}
	}
	t.Logf("the rule asks to move %d VMs, e.g. %+v", len(asked), sess.Requests()[:min(1, len(asked))])
	if len(asked) != len(onHot) {
		t.Errorf("the rule reading the demand asks to move %d VMs, want the %d on HOT", len(asked), len(onHot))
	}
	for id := range asked {
		if !onHot[id] {
			t.Errorf("the rule asks to move %s, which is not on HOT", id)
		}
	}
}
