package main

import (
	"fmt"
	"math"
	"strings"
)

// Target is issue 13's balance target for one scenario: hvbalancer with
// the shipped policy leaves the busiest host no busier than the best
// baseline does, with at most 70 % of that baseline's moves or bytes.
//
// Where the busiest host every baseline leaves is a pinned host (see
// Pinned), no method lowers the fleet's peak, and comparing it would
// judge only the cost: the target is then judged on what a method can
// reach, the busiest host that can send and take VMs (MovableMaxCPU), and
// MaxCPU and BestMaxCPU are those figures.
type Target struct {
	Best       string  `json:"best_baseline"` // lowest max CPU, fewest moves on a tie
	BestMaxCPU float64 `json:"best_max_cpu"`
	BestMoves  int     `json:"best_moves"`
	BestGiB    float64 `json:"best_gib_moved"`
	MaxCPU     float64 `json:"max_cpu"` // hvbalancer with the shipped policy
	Moves      int     `json:"moves"`
	GiB        float64 `json:"gib_moved"`
	Met        bool    `json:"met"`
	// Pinned, when set, is the host that fixes the fleet's peak for every
	// method; the CPU figures above are then the busiest movable host's.
	Pinned *Pinned `json:"pinned,omitempty"`
}

// costShare is the largest share of the best baseline's moves or bytes the
// target allows.
const costShare = 0.7

// tie is how close two max CPU figures (percent) count as equal: the
// report shows one decimal.
const tie = 0.05

// target judges the scenario's results against the target; ok is false
// when there is no baseline or no shipped-policy result. pin is the
// scenario's busiest pinned host, nil when it has none.
func target(results []Result, pin *Pinned) (t Target, ok bool) {
	peak := func(r *Result) float64 { return r.MaxCPU }
	best, shipped := bestAndShipped(results, peak)
	if best == nil || shipped == nil {
		return Target{}, false
	}
	if pin != nil && pin.CPU >= best.MaxCPU-tie {
		peak = func(r *Result) float64 { return r.MovableMaxCPU }
		best, _ = bestAndShipped(results, peak)
		t.Pinned = pin
	}
	t.Best, t.BestMaxCPU, t.BestMoves, t.BestGiB = best.Contender, peak(best), best.Moves, best.GiBMoved
	t.MaxCPU, t.Moves, t.GiB = peak(shipped), shipped.Moves, shipped.GiBMoved
	cheap := float64(shipped.Moves) <= costShare*float64(best.Moves) || shipped.GiBMoved <= costShare*best.GiBMoved
	t.Met = t.MaxCPU <= t.BestMaxCPU+tie && cheap && shipped.Error == ""
	return t, true
}

// bestAndShipped returns the baseline of lowest peak (fewest moves on a
// tie) and hvbalancer's result with the shipped policy, nil when missing.
func bestAndShipped(results []Result, peak func(*Result) float64) (best, shipped *Result) {
	for i := range results {
		r := &results[i]
		switch {
		case r.Kind == kindBaseline && (best == nil || peak(r) < peak(best)-tie || math.Abs(peak(r)-peak(best)) <= tie && r.Moves < best.Moves):
			best = r
		case r.Kind == kindHvbalancer && r.Contender == shippedName:
			shipped = r
		}
	}
	return best, shipped
}

// String says the verdict in one line, and first, where a pinned host
// fixes the fleet's peak, which host and why.
func (t Target) String() string {
	verdict := "missed"
	if t.Met {
		verdict = "met"
	}
	if t.Pinned != nil {
		return fmt.Sprintf("Issue 13 target %s, judged on the hosts that can migrate: the busiest host, %s at %.1f %% CPU, stays there under every method, since %s (its VMs cannot leave and none can come). "+
			"On the other hosts the shipped policy leaves the busiest at %.1f %% CPU in %s (%.0f GiB); the best baseline there, %s, %.1f %% in %s (%.0f GiB).",
			verdict, t.Pinned.Host, t.Pinned.CPU, t.Pinned.Reason,
			t.MaxCPU, plural(t.Moves, "move"), t.GiB, t.Best, t.BestMaxCPU, plural(t.BestMoves, "move"), t.BestGiB)
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
		movable := ""
		if s.Target.Pinned != nil {
			movable = " on the hosts that can migrate"
		}
		missed = append(missed, fmt.Sprintf("%s (%.1f %% in %s, against %.1f %% in %s%s)",
			s.Name, s.Target.MaxCPU, plural(s.Target.Moves, "move"), s.Target.BestMaxCPU, plural(s.Target.BestMoves, "move"), movable))
	}
	switch {
	case judged == 0:
		return ""
	case met == judged:
		return fmt.Sprintf("Verdict: issue 13's balance target is met on every scenario (%d of %d).", met, judged)
	}
	return fmt.Sprintf("Verdict: issue 13's balance target is met on %d of %d scenarios; missed on %s.", met, judged, strings.Join(missed, ", "))
}
