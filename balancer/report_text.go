package balancer

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// summaryMoves is how many moves Summary lists before it says how many
// more there are.
const summaryMoves = 12

// Summary returns a one-screen text summary for a terminal: the outcome in
// plain words (it says so when the fleet is already balanced), the balance
// before and after, and the first moves. Names are stripped of control
// characters, so a VM name cannot drive the terminal.
func (p *Plan) Summary() string {
	var b strings.Builder
	e := &p.Efficacy
	fmt.Fprintf(&b, "Plan %s (valid until %s)\n", txt(p.ID), p.Expires.UTC().Format(time.DateTime+" MST"))
	if t := p.incompleteText(); t != "" {
		fmt.Fprintf(&b, "%s\n", t)
		for _, h := range p.Missing {
			fmt.Fprintf(&b, "  %s: %s\n", txt(h.Name), txt(h.Problem))
		}
	}
	if t := p.historyText(); t != "" {
		fmt.Fprintf(&b, "%s\n", txt(t))
	}
	fmt.Fprintf(&b, "%s\n", txt(p.Message))
	if len(p.SettingsChanged) > 0 {
		fmt.Fprintf(&b, "The policy changed settings for this plan: %s.\n", changesText(p.SettingsChanged, txt))
	}
	if over := p.stillOver(); len(over) > 0 {
		parts := make([]string, len(over))
		for i, h := range over {
			parts[i] = fmt.Sprintf("%s (%s)", truncate(txt(h.Name), 24), p.overText(h))
		}
		fmt.Fprintf(&b, "Still over a threshold after this plan: %s.\n", strings.Join(parts, ", "))
	}
	if t := p.policyErrorText(); t != "" {
		fmt.Fprintf(&b, "%s\n", truncate(txt(t), 300))
	}
	var projected []string
	for _, h := range p.Hosts {
		if h.LoadModel == "" {
			continue
		}
		until := ""
		if !h.ProjectedUntil.IsZero() {
			until = " until " + h.ProjectedUntil.UTC().Format(time.TimeOnly+" MST")
		}
		projected = append(projected, truncate(txt(h.Name), 24)+until)
	}
	if len(projected) > 0 {
		fmt.Fprintf(&b, "Load projected from the VMs each host now holds, after recent moves: %s.\n", strings.Join(projected, ", "))
	}
	if p.IsBalanced() {
		b.WriteString("Nothing to do.\n")
		return b.String()
	}
	fmt.Fprintln(&b)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\tspread before\tafter\tbusiest before\tafter\n")
	fmt.Fprintf(tw, "CPU\t%.1f\t%.1f\t%s\t%s\n", e.CPU.SpreadBefore, e.CPU.SpreadAfter,
		txtMax(e.CPU.MaxBefore, e.CPU.MaxHostBefore), txtMax(e.CPU.MaxAfter, e.CPU.MaxHostAfter))
	fmt.Fprintf(tw, "Memory\t%.1f\t%.1f\t%s\t%s\n", e.Memory.SpreadBefore, e.Memory.SpreadAfter,
		txtMax(e.Memory.MaxBefore, e.Memory.MaxHostBefore), txtMax(e.Memory.MaxAfter, e.Memory.MaxHostAfter))
	_ = tw.Flush() // writes to a strings.Builder
	if len(p.Moves) > 0 {
		fmt.Fprintln(&b)
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "#\tVM\tVM ID\tFrom\tTo\tTrigger\tGain\tMemory\tStorage\tTime\tReason\n")
		for i, m := range p.Moves {
			if i == summaryMoves {
				break
			}
			storage := "stays"
			if m.StoragePath != "" {
				storage = formatBytes(m.StorageBytes)
			}
			reason := truncate(txt(m.Reason), 60)
			if pt := penaltyText(m); pt != "" {
				reason += "; " + truncate(txt(pt), 60)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\n", i+1, truncate(txt(m.VMName), 32), truncate(txt(m.VM), 40), truncate(txt(m.From), 24),
				truncate(txt(m.To), 24), m.Trigger, m.Gain, formatBytes(m.Bytes), storage, formatSeconds(m.EstimatedSeconds), reason)
		}
		_ = tw.Flush()
		if n := len(p.Moves) - summaryMoves; n > 0 {
			fmt.Fprintf(&b, "... and %s more (see the plan files).\n", plural(n, "move"))
		}
	}
	listed := len(p.Rejected)
	for _, m := range p.Moves {
		listed += len(m.Rejected)
	}
	if listed > 0 || p.Search.Denied > 0 {
		fmt.Fprintf(&b, "\nRefused: the policy denied %d of the %s it was asked about; %s listed in the plan files.\n",
			p.Search.Denied, plural(p.Search.Judged, "candidate"), plural(listed, "refusal is", "refusals are"))
	}
	for _, h := range p.Held.Rules {
		fmt.Fprintf(&b, "\nHeld by %s: %s (first: %s).\n", txt(h.Rule), plural(h.VMs, "VM"), truncate(txt(h.Example), 80))
	}
	for _, u := range p.Unmet {
		fmt.Fprintf(&b, "\n%s (first: %s).\n", txt(u.String()), truncate(txt(u.Example), 80))
	}
	if n := len(p.Limited) + p.LimitedOmitted; n > 0 {
		fmt.Fprintf(&b, "\nHard limits refused %s for processor, configuration version, switches or storage; for example: %s\n",
			plural(n, "destination"), truncate(txt(strings.Join(p.Limited[0].Messages, "; ")), 160))
	}
	return b.String()
}

func txtMax(v float64, host string) string {
	if host == "" {
		return "none"
	}
	return fmt.Sprintf("%.1f%% %s", v, truncate(txt(host), 24))
}

// txt replaces control characters (escape sequences included) and tabs,
// which would break the columns, with spaces.
func txt(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
}

// truncate shortens s to n runes, ending in an ellipsis when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
