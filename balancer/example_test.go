package balancer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// exampleFleet: HV01 is hot with four busy VMs, HV02 and HV03 are quiet.
func exampleFleet() *collector.Snapshot {
	return fleet(
		[]collector.Host{newHost("HV01", 16, 128), newHost("HV02", 16, 128), newHost("HV03", 16, 128)},
		[]collector.VM{
			newVM("1a", "HV01", 4, 16, named("sql01")), newVM("1b", "HV01", 4, 16, named("web01")),
			newVM("1c", "HV01", 3, 8, named("web02")), newVM("1d", "HV01", 2, 8, named("app01")),
			newVM("2a", "HV02", 1, 8, named("dc01")), newVM("3a", "HV03", 1, 8, named("file01")),
		})
}

func ExamplePlanner_Plan() {
	planner, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// In production the rules are a *policy.Session: engine.Begin(ctx,
	// balancer.PolicyInput(snapshot, history, loc)). This one keeps sql01
	// off HV02.
	rules := &fakeRules{deny: func(m policy.Move, _ policy.Projected) []string {
		if m.VM == "1a" && m.To == "HV02" {
			return []string{"sql01: HV02 has no SQL licence"}
		}
		return nil
	}}
	plan, err := planner.Plan(context.Background(), exampleFleet(), rules, "sha256:example", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range plan.Moves {
		fmt.Printf("%s %s → %s (%s, gain %.1f)\n", m.VMName, m.From, m.To, m.Reason, m.Gain)
		for _, r := range m.Rejected {
			fmt.Printf("  refused first: %s → %s: %s\n", r.VMName, r.To, strings.Join(r.Messages, "; "))
		}
	}
	e := plan.Efficacy
	fmt.Printf("CPU spread %.1f → %.1f points, busiest host %.0f%% → %.0f%%\n",
		e.CPU.SpreadBefore, e.CPU.SpreadAfter, e.CPU.MaxBefore, e.CPU.MaxAfter)
	// Output:
	// sql01 HV01 → HV03 (HV01 CPU 83% > 75%, gain 69.9)
	//   refused first: sql01 → HV02: sql01: HV02 has no SQL licence
	// web01 HV01 → HV02 (spread: HV01 CPU 58%, fleet mean 33%, gain 67.5)
	// CPU spread 35.4 → 0.0 points, busiest host 83% → 33%
}

func ExampleNewPlanner() {
	cfg := balancer.DefaultConfig()
	cfg.Aggressiveness = 4 // take moderate gains too
	cfg.MaxMoves = 20
	if _, err := balancer.NewPlanner(cfg, nil); err != nil {
		fmt.Println(err)
	}
	cfg.CPUCeiling = 120
	cfg.MaxInflowPerHost = 0
	_, err := balancer.NewPlanner(cfg, nil)
	fmt.Println(err)
	// Output:
	// new planner: cpu_ceiling: 120 is not a percentage in (0, 100]
	// max_inflow_per_host: 0 must be >= 1
}

func ExamplePlan_Summary() {
	planner, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := planner.Plan(context.Background(), exampleFleet(), &fakeRules{}, "sha256:example", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(plan.Summary())
	// Output:
	// Plan plan-20260105-080000-80e9d10f (valid until 2026-01-05 09:00:00 UTC)
	// 2 moves (2 for balance): CPU spread 35.4 → 0.0 points, memory spread 14.7 → 3.0 points; 32.0 GiB to copy, about 16s. Search ended: no move within the limits gains at least 1 points.
	//
	//         spread before  after  busiest before  after
	// CPU     35.4           0.0    83.2% HV01      33.2% HV01
	// Memory  14.7           3.0    40.6% HV01      21.9% HV02
	//
	// #  VM     VM ID  From  To    Trigger  Gain   Memory    Storage  Time  Reason
	// 1  sql01  1a     HV01  HV02  balance  69.90  16.0 GiB  stays    16s   HV01 CPU 83% > 75%
	// 2  web01  1b     HV01  HV03  balance  67.50  16.0 GiB  stays    16s   spread: HV01 CPU 58%, fleet mean 33%
}

func ExamplePlan_WriteMarkdown() {
	planner, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := planner.Plan(context.Background(), exampleFleet(), &fakeRules{}, "sha256:example", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var md bytes.Buffer
	if err := plan.WriteMarkdown(&md); err != nil {
		fmt.Println(err)
		return
	}
	// Print the moves table.
	_, rest, _ := strings.Cut(md.String(), "## Moves\n\n")
	table, _, _ := strings.Cut(rest, "\n\n")
	fmt.Println(table)
	// Output:
	// | # | VM | VM ID | From | To | Trigger | Reason | Gain | Memory | Storage | Est. time |
	// |---:|---|---|---|---|---|---|---:|---:|---|---:|
	// | 1 | sql01 | `1a` | HV01 | HV02 | balance | HV01 CPU 83% \> 75% | 69.90 | 16.0 GiB | stays | 16s |
	// | 2 | web01 | `1b` | HV01 | HV03 | balance | spread: HV01 CPU 58%, fleet mean 33% | 67.50 | 16.0 GiB | stays | 16s |
}

func ExampleReadPlan() {
	planner, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := planner.Plan(context.Background(), exampleFleet(), &fakeRules{}, "sha256:example", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var file bytes.Buffer
	if err := plan.WriteJSON(&file); err != nil {
		fmt.Println(err)
		return
	}
	tampered := bytes.Replace(file.Bytes(), []byte(`"to": "HV02"`), []byte(`"to": "HV03"`), 1)
	if _, err := balancer.ReadPlan(bytes.NewReader(tampered)); errors.Is(err, balancer.ErrTamperedPlan) {
		fmt.Println("tampered plan refused")
	}
	back, err := balancer.ReadPlan(&file)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.ID == plan.ID, back.Expired(plan.Created.Add(30*time.Minute)), back.Expired(plan.Created.Add(2*time.Hour)))
	// Output:
	// tampered plan refused
	// true false true
}

func ExamplePolicyInput() {
	history := policy.History{Moves: []policy.Event{{VM: "1d", From: "HV02", To: "HV01", At: "2026-01-05T07:15:00Z"}}}
	in := balancer.PolicyInput(exampleFleet(), history, time.FixedZone("CET", 3600))
	h := in.Fleet.Hosts["HV01"]
	v := in.Fleet.VMs["1d"]
	fmt.Println(in.Now)
	fmt.Printf("HV01: CPU %.1f%%, %d logical processors, VMs %v\n", h.CPU.Mean, h.Capacity.CPUs, h.VMs)
	fmt.Printf("%s: CPU %.0f%% of %d vCPUs, last migration %s\n", v.Name, v.CPU.Mean, v.CPUs, v.LastMigration)
	// Output:
	// 2026-01-05T09:00:00+01:00
	// HV01: CPU 83.2%, 16 logical processors, VMs [1a 1b 1c 1d]
	// app01: CPU 40% of 5 vCPUs, last migration 2026-01-05T08:15:00+01:00
}
