package main

import (
	"fmt"
	"io"
	"strings"
)

// reportSchema names the JSON report's format.
const reportSchema = "hvbench.report/v1"

// Report is everything one run measured.
type Report struct {
	Schema    string           `json:"schema"`
	Seed      uint64           `json:"seed"`
	Quick     bool             `json:"quick"`
	Limits    limits           `json:"limits"`
	Scenarios []ScenarioResult `json:"scenarios"`
}

// ScenarioResult is every contender's outcome on one scenario.
type ScenarioResult struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Hosts       int      `json:"hosts"`
	VMs         int      `json:"vms"`
	Results     []Result `json:"results"`
	Target      *Target  `json:"target,omitempty"` // issue 13's balance target
}

// writeMarkdown writes one table per scenario.
func writeMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Seed %d%s. Hard limits for every contender: %.0f GiB memory reserve on a destination, CPU ceiling %.0f %%, migration enabled on both ends, destination healthy. "+
		"Past limits: moves that left their destination's memory above memory_high (%.0f %%), or its CPU above cpu_high (%.0f %%) and not below the source's, which hvbalancer's planner and the shipped policy never allow; where the target is missed, its line says whether the best baseline made any.\n",
		r.Seed, map[bool]string{true: ", quick scenarios", false: ""}[r.Quick], float64(r.Limits.ReserveBytes)/(1<<30), r.Limits.CPUCeiling, r.Limits.MemoryHigh, r.Limits.CPUHigh)
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "\n### %s: %s (%d hosts, %d VMs)\n\n", s.Name, s.Description, s.Hosts, s.VMs)
		b.WriteString("| contender | max CPU % | max mem % | CPU spread | mem spread | moves | GiB moved | violations | past limits | rounds | planning ms | alloc MiB |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, x := range s.Results {
			name := x.Contender
			if x.RequestMoves > 0 {
				name += fmt.Sprintf(" (%d of the moves policy requests)", x.RequestMoves)
			}
			if x.Error != "" {
				name += " (error: " + x.Error + ")"
			}
			rounds := fmt.Sprint(x.Rounds)
			if x.Capped {
				rounds += " (cap: still moving)"
			}
			fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.1f | %.1f | %d | %.0f | %d | %d | %s | %.2f | %.2f |\n",
				name, x.MaxCPU, x.MaxMemory, x.CPUSpread, x.MemorySpread, x.Moves, x.GiBMoved, x.Violations, x.PastLimits, rounds, x.PlanningMS, x.AllocMiB)
		}
		if s.Target != nil {
			fmt.Fprintf(&b, "\n%s\n", s.Target)
		}
	}
	if v := verdict(r); v != "" {
		fmt.Fprintf(&b, "\n%s\n", v)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
