package balancer

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
)

// WriteMarkdown writes the plan as Markdown for a change ticket or pull
// request: summary, efficacy, moves, rejections, hosts. Every name from the
// fleet is escaped, so a VM named like Markdown or HTML renders as text.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	e := &p.Efficacy
	fmt.Fprintf(b, "# Migration plan %s\n\n", md(p.ID))
	if t := p.incompleteText(); t != "" {
		fmt.Fprintf(b, "> **%s**\n>\n", md(t))
		for _, h := range p.Missing {
			fmt.Fprintf(b, "> - %s (%s): %s\n", md(h.Name), md(h.Health), md(h.Problem))
		}
		fmt.Fprintf(b, "\n")
	}
	if t := p.historyText(); t != "" {
		fmt.Fprintf(b, "> **%s**\n\n", md(t))
	}
	fmt.Fprintf(b, "%s\n\n", md(p.Message))
	if t := p.policyErrorText(); t != "" {
		fmt.Fprintf(b, "> **%s**\n\n", md(t))
	}
	if over := p.stillOver(); len(over) > 0 {
		fmt.Fprintf(b, "> **Still over a threshold after this plan:**\n>\n")
		for _, h := range over {
			fmt.Fprintf(b, "> - %s: %s\n", md(h.Name), md(p.overText(h)))
		}
		fmt.Fprintln(b)
	}
	if len(p.SettingsChanged) > 0 {
		fmt.Fprintf(b, "**The policy changed settings for this plan:** %s.\n\n", changesText(p.SettingsChanged, md))
	}
	fmt.Fprintf(b, "| Plan | |\n|---|---|\n")
	fmt.Fprintf(b, "| Balanced | %s |\n", md(balancedText(p)))
	fmt.Fprintf(b, "| Created | %s |\n", p.Created.UTC().Format(time.DateTime+" MST"))
	fmt.Fprintf(b, "| Expires | %s |\n", p.Expires.UTC().Format(time.DateTime+" MST"))
	fmt.Fprintf(b, "| Snapshot | %s |\n", mdCode(p.SnapshotDigest))
	fmt.Fprintf(b, "| Policy | %s |\n", mdCode(p.PolicyDigest))
	fmt.Fprintf(b, "| Aggressiveness | %s |\n", aggressivenessText(p.Settings))
	fmt.Fprintf(b, "| Digest | %s |\n\n", mdCode(p.Digest()))

	fmt.Fprintf(b, "## Settings\n\nThe settings this plan was made with; a value the policy changed shows the configured one and what changed it.\n\n")
	fmt.Fprintf(b, "| Setting | Value | Configured | Changed by |\n|---|---|---|---|\n")
	for _, r := range p.settingRows() {
		if r.Change == nil {
			fmt.Fprintf(b, "| %s | %s | same | |\n", md(r.Name), md(r.Value))
			continue
		}
		fmt.Fprintf(b, "| %s | **%s** | %s | %s |\n", md(r.Name), md(r.Value), number(r.Change.Configured), md(r.Change.By))
	}
	fmt.Fprintln(b)

	fmt.Fprintf(b, "## Efficacy\n\n| Measure | Before | After |\n|---|---:|---:|\n")
	fmt.Fprintf(b, "| CPU spread | %.1f points | %.1f points |\n", e.CPU.SpreadBefore, e.CPU.SpreadAfter)
	fmt.Fprintf(b, "| CPU busiest host | %s | %s |\n", mdMax(e.CPU.MaxBefore, e.CPU.MaxHostBefore), mdMax(e.CPU.MaxAfter, e.CPU.MaxHostAfter))
	fmt.Fprintf(b, "| Memory spread | %.1f points | %.1f points |\n", e.Memory.SpreadBefore, e.Memory.SpreadAfter)
	fmt.Fprintf(b, "| Memory fullest host | %s | %s |\n", mdMax(e.Memory.MaxBefore, e.Memory.MaxHostBefore), mdMax(e.Memory.MaxAfter, e.Memory.MaxHostAfter))
	fmt.Fprintf(b, "| Weighted imbalance | %.2f | %.2f |\n\n", e.ObjectiveBefore, e.ObjectiveAfter)
	fmt.Fprintf(b, "%s, %s to copy, about %s with at most %d migrations at once and each host's own limit.\n\n",
		plural(e.Moves, "move"), totalsText(e), formatSeconds(e.EstimatedSeconds), p.Settings.MaxConcurrent)

	fmt.Fprintf(b, "## Moves\n\n")
	if len(p.Moves) == 0 {
		fmt.Fprintf(b, "None.\n\n")
	} else {
		fmt.Fprintf(b, "| # | VM | VM ID | From | To | Trigger | Reason | Gain | Memory | Storage | Est. time |\n|---:|---|---|---|---|---|---|---:|---:|---|---:|\n")
		for i, m := range p.Moves {
			trigger := m.Trigger
			if m.Trigger == TriggerRequest {
				trigger = fmt.Sprintf("request (priority %d)", m.Priority)
			}
			fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %.2f | %s | %s | %s |\n", i+1, md(m.VMName), mdCode(m.VM), md(m.From), md(m.To),
				md(trigger), md(reasonText(m)), m.Gain, formatBytes(m.Bytes), md(storageText(m)), formatSeconds(m.EstimatedSeconds))
		}
		fmt.Fprintln(b)
	}

	fmt.Fprintf(b, "## Rejected candidates\n\n")
	if !p.hasRejections() {
		fmt.Fprintf(b, "None.\n\n")
	} else {
		fmt.Fprintf(b, "| Before move | VM | From | To | Trigger | Gain | Why |\n|---|---|---|---|---|---:|---|\n")
		row := func(where string, r Rejection) {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %.2f | %s |\n", where, md(r.VMName), md(r.From), mdOr(r.To, "none"),
				md(r.Trigger), r.Gain, mdList(r.Messages))
		}
		for i, m := range p.Moves {
			for _, r := range m.Rejected {
				row(fmt.Sprintf("#%d", i+1), r)
			}
		}
		for _, r := range p.Rejected {
			row("none", r)
		}
		fmt.Fprintln(b)
		if p.RejectedOmitted > 0 {
			fmt.Fprintf(b, "%d more rejections are not listed.\n\n", p.RejectedOmitted)
		}
		for _, u := range p.Unmet {
			fmt.Fprintf(b, "- %s (first: %s).\n", md(u.String()), md(u.Example))
		}
		if len(p.Unmet) > 0 {
			fmt.Fprintln(b)
		}
	}

	fmt.Fprintf(b, "## Destinations refused by hard limits\n\n")
	if len(p.Limited) == 0 {
		fmt.Fprintf(b, "None: no VM the search considered was refused a destination for its processor, configuration version, switches or storage.\n\n")
	} else {
		fmt.Fprintf(b, "| VM | From | To | Trigger | Why |\n|---|---|---|---|---|\n")
		for _, r := range p.Limited {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", md(r.VMName), md(r.From), mdOr(r.To, "none"), md(r.Trigger), mdList(r.Messages))
		}
		fmt.Fprintln(b)
		if p.LimitedOmitted > 0 {
			fmt.Fprintf(b, "%d more refused destinations are not listed.\n\n", p.LimitedOmitted)
		}
	}

	fmt.Fprintf(b, "## Hosts\n\n| Host | Status | CPU before | CPU after | Memory before | Memory after | VMs | In | Out |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, h := range p.Hosts {
		status := h.Status
		if h.Hot {
			status += ", hot"
		}
		if h.HotAfter {
			status += ", still over after"
		}
		if t := h.projectedText(); t != "" {
			status += "; " + t
		}
		fmt.Fprintf(b, "| %s | %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %d → %d | %d | %d |\n", md(h.Name), md(status),
			h.CPUBefore, h.CPUAfter, h.MemoryBefore, h.MemoryAfter, h.VMsBefore, h.VMsAfter, h.In, h.Out)
	}
	fmt.Fprintf(b, "\n## Search\n\n")
	fmt.Fprintf(b, "VMs held in place: %d frozen by policy, %d in cooldown, %d not running, %d on an unavailable host%s. ",
		p.Held.Frozen, p.Held.Cooldown, p.Held.NotRunning, p.Held.HostUnavailable, md(p.Held.PolicyText()))
	fmt.Fprintf(b, "%d balancing steps scored %d candidates; the policy judged %d and denied %d. Search ended: %s.\n",
		p.Search.Steps, p.Search.Candidates, p.Search.Judged, p.Search.Denied, md(p.Search.Stopped))
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write plan markdown: %w", err)
	}
	return nil
}

func (p *Plan) hasRejections() bool {
	if len(p.Rejected) > 0 || p.RejectedOmitted > 0 {
		return true
	}
	for _, m := range p.Moves {
		if len(m.Rejected) > 0 {
			return true
		}
	}
	return false
}

func mdMax(v float64, host string) string {
	if host == "" {
		return "none"
	}
	return fmt.Sprintf("%.1f%% (%s)", v, md(host))
}

func mdOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return md(s)
}

func mdList(msgs []string) string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = md(m)
	}
	return strings.Join(out, "; ")
}

// mdCode writes an identifier such as a digest as code when it is plain
// (letters, digits, ":", ".", "-", "_"), and escaped text otherwise.
func mdCode(s string) string {
	for _, r := range s {
		if !(r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(":.-_", r))) {
			return md(s)
		}
	}
	if s == "" {
		return "none"
	}
	return "`" + s + "`"
}

// md makes text safe inside a Markdown table cell: control characters and
// line breaks become spaces and every character Markdown (or GitHub's
// flavour: mentions, emoji, math, autolinks) could read as syntax is
// backslash-escaped (a colon only when a word follows it).
func md(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == ':' && (i+1 == len(rs) || rs[i+1] == ' '):
			b.WriteRune(r) // cannot start a URL scheme or an emoji code
		case r == ':':
			b.WriteString("\\:")
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_{}[]#+!|<>~&@$^", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
