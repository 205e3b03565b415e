package main

import (
	"fmt"
	"math"
	"strings"
)

// Target is issue 13's balance target for one scenario: hvbalancer with
// the shipped policy leaves the busiest host no busier than the best
// baseline does, with at most 70 % of that baseline's moves or bytes.
type Target struct {
	Best       string  `json:"best_baseline"` // lowest max CPU, fewest moves on a tie
	BestMaxCPU float64 `json:"best_max_cpu"`
	BestMoves  int     `json:"best_moves"`
	BestGiB    float64 `json:"best_gib_moved"`
	MaxCPU     float64 `json:"max_cpu"` // hvbalancer with the shipped policy
	Moves      int     `json:"moves"`
	GiB        float64 `json:"gib_moved"`
	Met        bool    `json:"met"`
}

// costShare is the largest share of the best baseline's moves or bytes the
// target allows.
const costShare = 0.7

// tie is how close two max CPU figures (percent) count as equal: the
// report shows one decimal.
const tie = 0.05

// target judges the scenario's results against the target; ok is false
// when there is no baseline or no shipped-policy result.
func target(results []Result) (t Target, ok bool) {
	var best, shipped *Result
	for i := range results {
		r := &results[i]
		switch {
		case r.Kind == kindBaseline && (best == nil || r.MaxCPU < best.MaxCPU-tie || math.Abs(r.MaxCPU-best.MaxCPU) <= tie && r.Moves < best.Moves):
			best = r
		case r.Kind == kindHvbalancer && r.Contender == shippedName:
			shipped = r
		}
	}
	if best == nil || shipped == nil {
		return Target{}, false
	}
	t = Target{Best: best.Contender, BestMaxCPU: best.MaxCPU, BestMoves: best.Moves, BestGiB: best.GiBMoved,
		MaxCPU: shipped.MaxCPU, Moves: shipped.Moves, GiB: shipped.GiBMoved}
	cheap := float64(shipped.Moves) <= costShare*float64(best.Moves) || shipped.GiBMoved <= costShare*best.GiBMoved
	t.Met = shipped.MaxCPU <= best.MaxCPU+tie && cheap && shipped.Error == ""
	return t, true
}

// String says the verdict in one line.
func (t Target) String() string {
	verdict := "missed"
	if t.Met {
		verdict = "met"
	}
	return fmt.Sprintf("Issue 13 target %s: the shipped policy leaves %.1f %% max CPU in %s (%.0f GiB); the best baseline, %s, %.1f %% in %s (%.0f GiB).",
		verdict, t.MaxCPU, plural(t.Moves, "move"), t.GiB, t.Best, t.BestMaxCPU, plural(t.BestMoves, "move"), t.BestGiB)
}

// plural says n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// verdict says in one line on how many scenarios of r the target was met,
// naming each scenario where it was missed with the busiest host it left
// against the best baseline's; "" when no scenario was judged.
func verdict(r *Report) string {
	judged, met := 0, 0
	var missed []string
	for _, s := range r.Scenarios {
		if s.Target == nil {
			continue
		}
		judged++
		if s.Target.Met {
			met++
			continue
		}
		missed = append(missed, fmt.Sprintf("%s (%.1f %% in %s, against %.1f %% in %s)",
			s.Name, s.Target.MaxCPU, plural(s.Target.Moves, "move"), s.Target.BestMaxCPU, plural(s.Target.BestMoves, "move")))
	}
	switch {
	case judged == 0:
		return ""
	case met == judged:
		return fmt.Sprintf("Verdict: issue 13's balance target is met on every scenario (%d of %d).", met, judged)
	}
	return fmt.Sprintf("Verdict: issue 13's balance target is met on %d of %d scenarios; missed on %s.", met, judged, strings.Join(missed, ", "))
}
