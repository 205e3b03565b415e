package policy_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/hvbalancer/hvbalancer/policy"
)

// Load the shipped policy, begin a session on a fleet, and judge two
// candidate moves.
func Example() {
	engine, err := policy.Load(policy.Options{Dir: "../examples/policies"})
	if err != nil {
		log.Fatal(err)
	}
	host := func(name, group string) policy.Host {
		return policy.Host{Name: name, Group: group, Health: "ok",
			Capacity: policy.Capacity{CPUs: 32, MemoryBytes: 256 << 30}}
	}
	sql := func(name, host string) policy.VM {
		return policy.VM{Name: name, Host: host, State: "Running", CPUs: 8, MemoryBytes: 32 << 30,
			Tags: map[string]string{"role": "sql"}}
	}
	in := &policy.Input{
		Now: "2026-01-05T09:00:00+01:00", // a Monday morning: business hours
		Fleet: policy.Fleet{
			Hosts: map[string]policy.Host{"HV01": host("HV01", "rack-a"), "HV02": host("HV02", "rack-b"), "HV03": host("HV03", "rack-a")},
			VMs:   map[string]policy.VM{"id-1": sql("sql01", "HV01"), "id-2": sql("sql02", "HV03")},
		},
	}
	h := in.Fleet.Hosts["HV03"]
	h.Maintenance, h.VMs = true, []string{"id-2"}
	in.Fleet.Hosts["HV03"] = h

	ctx := context.Background()
	session, err := engine.Begin(ctx, in)
	if err != nil {
		log.Fatal(err)
	}
	s := session.Settings()
	fmt.Println("max moves:", *s.MaxMoves, "aggressiveness:", *s.Aggressiveness)
	for _, r := range session.Requests() {
		fmt.Println("request:", r.Priority, r.Reason)
	}

	v, err := session.Judge(ctx, policy.Move{VM: "id-2", From: "HV03", To: "HV01"}, policy.Projected{
		To: policy.HostLoad{CPU: 40, Memory: 50, VMs: []string{"id-1", "id-2"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("to HV01:", v.Deny)
	v, err = session.Judge(ctx, policy.Move{VM: "id-2", From: "HV03", To: "HV02"}, policy.Projected{
		To: policy.HostLoad{CPU: 40, Memory: 50, VMs: []string{"id-2"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("to HV02:", len(v.Deny) == 0, "penalty", v.Penalty)
	// Output:
	// max moves: 3 aggressiveness: 2
	// request: 100 sql02: evacuate HV03 (maintenance)
	// to HV01: [sql02: anti-affinity role=sql with sql01 on HV01]
	// to HV02: true penalty 5
}

// Run a policy directory's unit tests, as `opa test` does.
func ExampleRunTests() {
	passed, failed, err := policy.RunTests(context.Background(), "testdata/failing", os.Stdout, false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(passed, "passed,", failed, "failed")
}
