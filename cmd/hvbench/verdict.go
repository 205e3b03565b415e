package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
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
//
// Two notes say what the verdict alone does not, and change nothing in
// it. When the target is missed and the best baseline went past a limit
// hvbalancer keeps (memory_high, or cpu_high on a destination not left
// below its source; see limits.MemoryHigh), Within is the same judgement
// against the best baseline that kept them. When
// hvbalancer misses on cost with a lower peak, Reached is the first of its
// moves at which the busiest host was down to the baseline's peak: what
// that peak cost it, before it went lower. On a missed target,
// PolicyDenied is the best baseline's first move the shipped policy
// denies, when there is one: the baselines follow no policy.
type Target struct {
	Best       string  `json:"best_baseline"` // lowest max CPU, fewest moves on a tie
	BestMaxCPU float64 `json:"best_max_cpu"`
	BestMoves  int     `json:"best_moves"`
	BestGiB    float64 `json:"best_gib_moved"`
	MaxCPU     float64 `json:"max_cpu"` // hvbalancer with the shipped policy
	Moves      int     `json:"moves"`
	GiB        float64 `json:"gib_moved"`
	Met        bool    `json:"met"`
	// Miss says what missed the target: "peak" (hvbalancer leaves the
	// busiest host busier), "cost" (as low a peak, with more than 70 % of
	// both the moves and the bytes), "error" (its plan failed); "" when met.
	Miss string `json:"miss,omitempty"`
	// Reached, on a miss on cost with a lower peak, is hvbalancer's first
	// move at which the busiest host was at or below the baseline's peak.
	Reached *Step `json:"reached,omitempty"`
	// BestPastLimits are the best baseline's moves past a limit
	// hvbalancer keeps (see Result.PastLimits); Within, when there are any
	// and the target is missed, is the judgement against the best baseline
	// that made none.
	BestPastLimits int     `json:"best_past_planner_limits,omitempty"`
	Within         *Target `json:"within_planner_limits,omitempty"`
	// Pinned, when set, is the host that fixes the fleet's peak for every
	// method; the CPU figures above are then the busiest movable host's.
	Pinned *Pinned `json:"pinned,omitempty"`
	// PolicyDenied, on a missed target, is the best baseline's first move
	// the shipped policy denies (see judgeBest); nil when it allows all.
	PolicyDenied *Denied `json:"policy_denied,omitempty"`
	// Bound is the same target judged against the baselines held to the
	// shipped policy's rules (see bound), as hvbalancer with that policy
	// is: the methods compared under the same rules. The target above is
	// judged against the baselines as published, which follow none.
	Bound *Target `json:"against_baselines_under_policy,omitempty"`
}

// judgeBest asks the shipped policy about the best baseline's moves, one
// by one, and keeps the first it denies in t.PolicyDenied: a path to the
// baseline's peak that hvbalancer with that policy may not take.
func (t *Target) judgeBest(ctx context.Context, engine *policy.Engine, s *collector.Snapshot, lim limits, results []Result) error {
	for i := range results {
		if r := &results[i]; r.Kind == kindBaseline && r.Contender == t.Best {
			d, ok, err := firstDenied(ctx, engine, s, lim, r.Contender, r.Log)
			if ok {
				t.PolicyDenied = &d
			}
			return err
		}
	}
	return nil
}

// costShare is the largest share of the best baseline's moves or bytes the
// target allows.
const costShare = 0.7

// tie is how close two max CPU figures (percent) count as equal: the
// report shows one decimal.
const tie = 0.05

// target judges the scenario's results against the target, against the
// baselines as published and (in Bound) against those held to the shipped
// policy's rules; ok is false when there is no baseline or no
// shipped-policy result. pin is the scenario's busiest pinned host, nil
// when it has none.
func target(results []Result, pin *Pinned) (t Target, ok bool) {
	t, ok = targetAgainst(results, pin, kindBaseline)
	if !ok {
		return Target{}, false
	}
	if b, ok := targetAgainst(results, pin, kindBound); ok {
		t.Bound = &b
	}
	return t, true
}

// targetAgainst judges the target against the baselines of kind.
func targetAgainst(results []Result, pin *Pinned, kind string) (t Target, ok bool) {
	peak := func(r *Result) float64 { return r.MaxCPU }
	step := func(s Step) float64 { return s.MaxCPU }
	best, within, shipped := bestAndShipped(results, peak, kind)
	if best == nil || shipped == nil {
		return Target{}, false
	}
	pinned := pin != nil && pin.CPU >= best.MaxCPU-tie
	if pinned {
		peak = func(r *Result) float64 { return r.MovableMaxCPU }
		step = func(s Step) float64 { return s.MovableMaxCPU }
		best, within, _ = bestAndShipped(results, peak, kind)
	}
	t = judge(shipped, best, peak, step)
	if pinned {
		t.Pinned = pin
	}
	if !t.Met && best.PastLimits > 0 && within != nil {
		w := judge(shipped, within, peak, step)
		t.BestPastLimits, t.Within = best.PastLimits, &w
	}
	return t, true
}

// judge is the target's verdict on the shipped policy's result against
// baseline best, the CPU figures read by peak (and step for hvbalancer's
// moves one by one).
func judge(shipped, best *Result, peak func(*Result) float64, step func(Step) float64) Target {
	t := Target{Best: best.Contender, BestMaxCPU: peak(best), BestMoves: best.Moves, BestGiB: best.GiBMoved,
		MaxCPU: peak(shipped), Moves: shipped.Moves, GiB: shipped.GiBMoved}
	cheap := float64(shipped.Moves) <= costShare*float64(best.Moves) || shipped.GiBMoved <= costShare*best.GiBMoved
	switch {
	case shipped.Error != "":
		t.Miss = "error"
	case t.MaxCPU > t.BestMaxCPU+tie:
		t.Miss = "peak"
	case !cheap:
		t.Miss = "cost"
	}
	t.Met = t.Miss == ""
	if t.Miss == "cost" && t.MaxCPU < t.BestMaxCPU-tie {
		for _, s := range shipped.Steps {
			if step(s) <= t.BestMaxCPU+tie {
				t.Reached = &s
				break
			}
		}
	}
	return t
}

// bestAndShipped returns the baseline of kind of lowest peak (fewest moves
// on a tie), the same among the baselines of kind that made no move past a
// limit hvbalancer keeps (see Result.PastLimits), and hvbalancer's result
// with the shipped policy; nil when missing.
func bestAndShipped(results []Result, peak func(*Result) float64, kind string) (best, within, shipped *Result) {
	lower := func(r, than *Result) bool {
		return than == nil || peak(r) < peak(than)-tie || math.Abs(peak(r)-peak(than)) <= tie && r.Moves < than.Moves
	}
	for i := range results {
		r := &results[i]
		switch {
		case r.Kind == kind:
			if lower(r, best) {
				best = r
			}
			if r.PastLimits == 0 && lower(r, within) {
				within = r
			}
		case r.Kind == kindHvbalancer && r.Contender == shippedName:
			shipped = r
		}
	}
	return best, within, shipped
}

// String says the verdict in one line, and first, where a pinned host
// fixes the fleet's peak, which host and why; then the notes (see Target).
func (t Target) String() string {
	var b strings.Builder
	if t.Pinned != nil {
		fmt.Fprintf(&b, "Issue 13 target %s, judged on the hosts that can migrate: the busiest host, %s at %.1f %% CPU, stays there under every method, since %s (its VMs cannot leave and none can come). "+
			"On the other hosts the shipped policy leaves the busiest at %.1f %% CPU in %s (%.0f GiB); the best baseline there, %s, %.1f %% in %s (%.0f GiB).",
			t.verdict(), t.Pinned.Host, t.Pinned.CPU, t.Pinned.Reason,
			t.MaxCPU, plural(t.Moves, "move"), t.GiB, t.Best, t.BestMaxCPU, plural(t.BestMoves, "move"), t.BestGiB)
	} else {
		fmt.Fprintf(&b, "Issue 13 target %s: the shipped policy leaves %.1f %% max CPU in %s (%.0f GiB); the best baseline, %s, %.1f %% in %s (%.0f GiB).",
			t.verdict(), t.MaxCPU, plural(t.Moves, "move"), t.GiB, t.Best, t.BestMaxCPU, plural(t.BestMoves, "move"), t.BestGiB)
	}
	b.WriteString(t.reachedNote())
	if d := t.PolicyDenied; d != nil {
		fmt.Fprintf(&b, " The shipped policy denies %s's move %d of %d (%s from %s to %s: %s), so hvbalancer with that policy may not take its path.",
			d.Contender, d.Move, d.Moves, d.VM, d.From, d.To, d.Reason)
	}
	if w := t.Within; w != nil {
		fmt.Fprintf(&b, " %d of %s's %s left a host's memory above memory_high, or its CPU above cpu_high and not below the source's, which hvbalancer's planner and the shipped policy never allow; of the baselines that kept those limits, the best, %s, leaves %.1f %% in %s (%.0f GiB): against it the target is %s.%s",
			t.BestPastLimits, t.Best, plural(t.BestMoves, "move"), w.Best, w.BestMaxCPU, plural(w.BestMoves, "move"), w.BestGiB, w.verdict(), w.reachedNote())
	}
	if u := t.Bound; u != nil {
		fmt.Fprintf(&b, " Against the baselines held to the shipped policy's rules, as hvbalancer is, the target is %s: the best, %s, leaves %.1f %% in %s (%.0f GiB).%s",
			u.verdict(), u.Best, u.BestMaxCPU, plural(u.BestMoves, "move"), u.BestGiB, u.reachedNote())
	}
	return b.String()
}

// verdict says met or how the target was missed.
func (t Target) verdict() string {
	return map[string]string{"": "met", "peak": "missed on the peak", "cost": "missed on cost", "error": "missed (the plan failed)"}[t.Miss]
}

// reachedNote says, on a miss on cost with a lower peak, what the
// baseline's peak had cost hvbalancer ("" otherwise).
func (t Target) reachedNote() string {
	if t.Reached == nil {
		return ""
	}
	return fmt.Sprintf(" Its moves had brought the busiest host to %.1f %% or below after %s (%.0f GiB), then went lower.",
		t.BestMaxCPU, plural(t.Reached.Moves, "move"), t.Reached.GiB)
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
// against the best baseline's; then the same against the baselines held
// to the shipped policy's rules, when they ran. "" when no scenario was
// judged.
func verdict(r *Report) string {
	strict := tally(r, func(t *Target) *Target { return t })
	if strict == "" {
		return ""
	}
	under := tally(r, func(t *Target) *Target { return t.Bound })
	if under == "" {
		return "Verdict: issue 13's balance target is " + strict + "."
	}
	return "Verdict: issue 13's balance target is " + strict + "; against the baselines held to the shipped policy's rules, it is " + under + "."
}

// tally says on how many scenarios of r the target that which picks was
// met, and how each other one was missed; "" when none was judged.
func tally(r *Report, which func(*Target) *Target) string {
	judged, met := 0, 0
	var missed []string
	for _, s := range r.Scenarios {
		if s.Target == nil {
			continue
		}
		t := which(s.Target)
		if t == nil {
			continue
		}
		judged++
		if t.Met {
			met++
			continue
		}
		movable := ""
		if t.Pinned != nil {
			movable = " on the hosts that can migrate"
		}
		missed = append(missed, fmt.Sprintf("%s (%s: %.1f %% in %s, against %.1f %% in %s%s)",
			s.Name, t.Miss, t.MaxCPU, plural(t.Moves, "move"), t.BestMaxCPU, plural(t.BestMoves, "move"), movable))
	}
	switch {
	case judged == 0:
		return ""
	case met == judged:
		return fmt.Sprintf("met on every scenario (%d of %d)", met, judged)
	}
	return fmt.Sprintf("met on %d of %d scenarios; missed on %s", met, judged, strings.Join(missed, ", "))
}
